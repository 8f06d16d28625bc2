"""The staff console: a separate web process over the same state store (``connector console``).

Layers: ``server`` (uvicorn) → ``app`` (Starlette routes, middleware) → ``pages/*`` (one
module per page) → ``actions`` (resolve, retry, requeue, release; the same store operations
as the commands) and ``patients`` (live PMS reads through the adapters). ``auth`` holds
accounts, sessions, CSRF and sign-in throttling. See docs/console.md.
"""
