"""``connector diagnostics``: a redacted bundle for support (safe to attach to a ticket).

Contains: versions (and which ERA parser build runs), the configuration with every secret
replaced by where it comes from, per practice the last polls, cursors, item counts and recent
errors by code. It contains no patient data: the store holds none in the fields shown, and
everything passes the redactor.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from connector import __version__
from connector.commands.common import runtime
from connector.commands.status import collect
from connector.config.types import SecretRef
from connector.private_files import open_private


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``diagnostics`` command."""
    parser = sub.add_parser("diagnostics", help="write a redacted support bundle (JSON)")
    parser.add_argument("--output", "-o", help="write to this file instead of stdout")
    parser.set_defaults(handler=handle)


def redacted_config(model: BaseModel) -> dict[str, Any]:
    """The configuration as a dict with each secret replaced by its description."""
    out: dict[str, Any] = {}
    for name in type(model).model_fields:
        out[name] = _redact(getattr(model, name))
    return out


def _redact(value: Any) -> Any:
    if isinstance(value, SecretRef):
        return f"<secret from {value.describe()}>" if value.value is None else "<inline secret>"
    if isinstance(value, BaseModel):
        return redacted_config(value)
    if isinstance(value, list | tuple):
        return [_redact(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _redact(v) for k, v in value.items()}
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def handle(args: argparse.Namespace) -> int:
    """Print or write the bundle."""
    rt = runtime(args)
    try:
        status = collect(rt)
        cursors = {
            practice.id: {
                source: rt.store.get_cursor(practice.id, source) for source in ("stripe", "era")
            }
            for practice in rt.config.settings.practices
        }
        bundle = {
            "connector_version": __version__,
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "config_file": str(rt.config.path),
            "config": redacted_config(rt.config.settings),
            "status": status,
            "cursors": cursors,
            "recent_errors_by_code": _errors_by_code(status),
        }
    finally:
        rt.store.close()
    text = rt.redactor.scrub_text(json.dumps(bundle, indent=2, sort_keys=True, default=str))
    if args.output:
        with open_private(Path(args.output), "w", encoding="utf-8") as out:
            out.write(text + "\n")
        print(f"wrote {args.output}")
    else:
        print(text)
    return 0


def _errors_by_code(status: dict[str, Any]) -> dict[str, dict[str, int]]:
    result: dict[str, dict[str, int]] = {}
    for practice_id, info in status["practices"].items():
        codes: dict[str, int] = {}
        for poll in info["polls"].values():
            code = poll.get("last_error_code")
            if code and poll.get("consecutive_failures"):
                codes[code] = codes.get(code, 0) + int(poll["consecutive_failures"])
        result[practice_id] = codes
    return result
