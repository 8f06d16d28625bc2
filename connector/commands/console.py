"""``connector console``: serve the staff console, and manage its accounts.

* ``connector console [--host H] [--port P]`` — serve (``console:`` in the YAML; loopback by
  default; TLS or ``behind_proxy`` for any other address, checked by ``check-config``);
* ``connector console user add NAME --role admin|staff [--practice ID ...]``;
* ``connector console user passwd NAME`` / ``disable NAME`` / ``enable NAME`` / ``list``.

Passwords are read from standard input when it is not a terminal (one line), so scripts can
create accounts; at a terminal they are asked for twice without echo.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from connector.clock import SYSTEM
from connector.commands.common import runtime
from connector.commands.review import say
from connector.errors import ConfigError, PermanentError
from connector.store.console_base import ROLES
from connector.store.console_tables import as_console_store as console_store

# The web stack (uvicorn, Starlette, Jinja2) and argon2 load only when a console command runs,
# so `connector run` does not carry them.


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``console`` command and its ``user`` sub-commands."""
    parser = sub.add_parser("console", help="serve the staff console; manage its accounts")
    parser.add_argument("--host", help="address to listen on (default: console.host)")
    parser.add_argument("--port", type=int, help="port (default: console.port)")
    parser.set_defaults(handler=handle_serve)
    actions = parser.add_subparsers(dest="console_command", metavar="ACTION")
    user = actions.add_parser("user", help="console accounts")
    user_actions = user.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    add = user_actions.add_parser("add", help="create an account (password from stdin)")
    add.add_argument("name")
    add.add_argument("--role", choices=ROLES, required=True)
    add.add_argument(
        "--practice",
        action="append",
        default=[],
        metavar="ID",
        help="a practice a staff account works for (repeat for several)",
    )
    add.set_defaults(handler=handle_add)
    for name, helptext, handler in (
        ("passwd", "set a new password (ends the account's sessions)", handle_passwd),
        ("disable", "disable an account (ends its sessions)", handle_disable),
        ("enable", "enable a disabled account", handle_enable),
    ):
        action = user_actions.add_parser(name, help=helptext)
        action.add_argument("name")
        action.set_defaults(handler=handler)
    user_actions.add_parser("list", help="every account").set_defaults(handler=handle_list)


def read_password(prompt: str = "Password: ") -> str:
    """The new password: one line of standard input, or asked twice at a terminal."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(prompt)
    if getpass.getpass("Again: ") != first:
        raise PermanentError("the two passwords differ", code="password_mismatch")
    return first


def handle_serve(args: argparse.Namespace) -> int:
    """Serve the console until interrupted."""
    from connector.console.server import build_context, serve  # noqa: PLC0415 - lazy

    rt = runtime(args)
    try:
        ctx = build_context(rt.config.settings, rt.store, rt.redactor)
        console = rt.config.settings.console
        host, port = args.host or console.host, args.port or console.port
        if args.host and args.host != console.host:
            check_exposure(rt.config.settings.console, host)
        scheme = "https" if console.tls else "http"
        say(f"connector console on {scheme}://{host}:{port} (Ctrl-C to stop)")
        serve(ctx, host, port)
    finally:
        rt.store.close()
    return 0


def check_exposure(console: object, host: str) -> None:
    """Apply the ``console.host`` rule to a ``--host`` given on the command line."""
    from connector.config.console import ConsoleSettings  # noqa: PLC0415 - tiny, local use

    assert isinstance(console, ConsoleSettings)
    try:
        ConsoleSettings(**{**console.model_dump(), "host": host})
    except ValueError as exc:
        raise ConfigError(f"--host {host}: needs console.tls or console.behind_proxy") from exc


def handle_add(args: argparse.Namespace) -> int:
    """Create an account."""
    from connector.console.passwords import hash_password  # noqa: PLC0415 - lazy

    rt = runtime(args, resolve_secrets=False)
    try:
        known = {p.id for p in rt.config.settings.practices}
        unknown = sorted(set(args.practice) - known)
        if unknown:
            raise ConfigError(f"no practice {', '.join(unknown)} in the configuration")
        if args.role == "staff" and not args.practice:
            raise PermanentError("a staff account needs --practice ID", code="user_invalid")
        if args.role == "admin" and args.practice:
            raise PermanentError(
                "admins see every practice: leave out --practice", code="user_invalid"
            )
        if not args.name.strip() or len(args.name) > 60 or any(c.isspace() for c in args.name):
            raise PermanentError(
                "the name must be one word of at most 60 characters", code="user_invalid"
            )
        hashed = hash_password(read_password())
        user = console_store(rt.store).create_user(
            args.name, args.role, args.practice, hashed, SYSTEM.now()
        )
    finally:
        rt.store.close()
    scope = ", ".join(user.practices) or "every practice"
    say(f"user {user.name} added ({user.role}; {scope})")
    return 0


def _update(args: argparse.Namespace, **changes: object) -> int:
    rt = runtime(args, resolve_secrets=False)
    try:
        user = console_store(rt.store).update_user(args.name, SYSTEM.now(), **changes)  # type: ignore[arg-type]
    finally:
        rt.store.close()
    state = "disabled" if user.disabled else "enabled"
    say(f"user {user.name} updated ({state}); their open sessions were ended")
    return 0


def handle_passwd(args: argparse.Namespace) -> int:
    """Set a new password."""
    from connector.console.passwords import hash_password  # noqa: PLC0415 - lazy

    return _update(args, password_hash=hash_password(read_password("New password: ")))


def handle_disable(args: argparse.Namespace) -> int:
    """Disable an account."""
    return _update(args, disabled=True)


def handle_enable(args: argparse.Namespace) -> int:
    """Enable an account again."""
    return _update(args, disabled=False)


def handle_list(args: argparse.Namespace) -> int:
    """List accounts (no password hashes)."""
    rt = runtime(args, resolve_secrets=False)
    try:
        users = console_store(rt.store).list_users()
    finally:
        rt.store.close()
    if not users:
        say("no console users; add one with: connector console user add NAME --role admin")
    for user in users:
        scope = ", ".join(user.practices) or "every practice"
        say(
            f"{user.name:<20} {user.role:<6} {'disabled' if user.disabled else 'active':<9} {scope}"
        )
    return 0
