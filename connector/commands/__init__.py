"""Sub-commands of the ``connector`` CLI; each module exposes ``register(subparsers)``."""
