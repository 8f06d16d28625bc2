"""``python -m workshop demo`` (``make demo``): the connector end to end on a local sandbox.

Starts the sandbox for ``config/demo.yaml`` (or ``--config``) in ``./demo-state/`` (or
``--work-dir``, emptied first: in another folder than the configuration names, the daemon uses
the configuration the sandbox writes there), runs two daemon cycles and prints what was
recorded, posted, reversed and left for a person. ``--keep-running`` keeps the sandbox up
until Ctrl-C so ``connector run --once``, ``status`` and ``review`` can be tried against it;
``--console`` keeps it up under the staff console (docs/console.md), printing its address and
a one-time password. Exit 0 when the story ended as expected.
The demo is workshop code: the shipped ``connector`` command has no ``demo``.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType

DEFAULT_CONFIG = "config/demo.yaml"


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``demo`` command."""
    parser = sub.add_parser("demo", help="run the connector end to end on a local sandbox")
    parser.add_argument("--config", default=None, help=f"demo configuration ({DEFAULT_CONFIG})")
    parser.add_argument(
        "--keep-running", action="store_true", help="keep the sandbox up until Ctrl-C"
    )
    parser.add_argument(
        "--console",
        action="store_true",
        help="then serve the staff console on the demo state until Ctrl-C (prints its address "
        "and a one-time password)",
    )
    parser.add_argument(
        "--console-port", type=int, default=8470, help="console port (default: %(default)s)"
    )
    parser.add_argument(
        "--work-dir",
        default="demo-state",
        help="sandbox folder, emptied first (default: %(default)s)",
    )
    parser.add_argument(
        "--mariadb-port",
        type=int,
        default=None,
        help="MariaDB port (0: any free port; default: the one config/demo.yaml names)",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Run the demo; exit 1 with the reasons when the story did not end as expected."""
    from workshop.sandbox.demo import run_demo, wait_for_interrupt  # noqa: PLC0415 - heavy
    from workshop.sandbox.environment import DEMO_PORTS, SandboxEnvironment  # noqa: PLC0415

    mariadb_port = DEMO_PORTS.mariadb if args.mariadb_port is None else args.mariadb_port
    config = Path(args.config or DEFAULT_CONFIG)
    print(f"Starting the sandbox in {args.work_dir}/ for {config} ...", flush=True)
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops the sandbox cleanly too
    keep: Callable[[SandboxEnvironment, Path], None] | None = None
    if args.console:

        def keep(env: SandboxEnvironment, used: Path) -> None:
            from workshop.sandbox.demo_console import serve_demo_console  # noqa: PLC0415

            serve_demo_console(env, used, sys.stdout, port=args.console_port)

    elif args.keep_running:

        def keep(env: SandboxEnvironment, used: Path) -> None:
            wait_for_interrupt(env, sys.stdout, used)

    try:
        result = run_demo(
            config,
            Path(args.work_dir),
            out=sys.stdout,
            mariadb_port=mariadb_port,
            keep_running=keep,
        )
    except (OSError, RuntimeError) as exc:
        print(f"error: the sandbox could not start: {exc}", file=sys.stderr)
        print("(is another demo still running on the same ports?)", file=sys.stderr)
        return 1
    return 1 if result.problems else 0
