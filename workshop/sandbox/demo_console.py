"""``python -m workshop demo --console``: after the demo's story, serve the staff console on
the demo's state (and its sandbox PMSs, for live patient names) until Ctrl-C.

A ``demo`` admin account gets a fresh random password for this run, printed once with the
console's address. The sandbox keeps running under the console and stops with it.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import TextIO

from connector.clock import SYSTEM
from connector.config import load_config
from connector.console.passwords import hash_password
from connector.console.server import build_context, serve
from connector.redaction import Redactor
from connector.store import open_store
from connector.store.console_tables import as_console_store
from workshop.sandbox.environment import SandboxEnvironment

DEMO_USER = "demo"


def serve_demo_console(
    env: SandboxEnvironment, config_path: Path, out: TextIO, *, port: int = 8470
) -> None:
    """Serve the console on 127.0.0.1:``port`` over the demo state until interrupted."""
    config = load_config(config_path)
    store = open_store(config.settings.state.url)
    try:
        console = as_console_store(store)
        password = secrets.token_urlsafe(12)
        hashed = hash_password(password)
        if console.get_user(DEMO_USER) is None:
            console.create_user(DEMO_USER, "admin", [], hashed, SYSTEM.now())
        else:
            console.update_user(DEMO_USER, SYSTEM.now(), password_hash=hashed, disabled=False)
        ctx = build_context(config.settings, store, Redactor(config.secret_values()))
        out.write(
            "\nThe staff console is open on the demo state (Ctrl-C stops it and the sandbox):\n"
            f"  address:  http://127.0.0.1:{port}/\n"
            f"  user:     {DEMO_USER}\n"
            f"  password: {password}   (one-time: a new one each run)\n"
            f"Stripe sandbox: {env.urls()['stripe']}\n"
        )
        out.flush()
        serve(ctx, "127.0.0.1", port)
    finally:
        store.close()
    out.write("stopping the console and the sandbox\n")
