"""structlog set-up: JSON lines (or console on a TTY), redaction, stdlib loggers routed through.

Event names are ``noun.verb`` (``payment.posted``, ``era.file.quarantined``, ``poll.summary``);
the full list is in docs/operations.md. Each job run binds ``practice_id``, ``source`` and
``run_id`` with :func:`bind_run`, so every line of one run can be found together.
"""

from __future__ import annotations

import logging
import sys
import uuid
from typing import Any, Literal, TextIO

import structlog

from connector.redaction import Redactor

_NOISY = {
    "apscheduler": logging.WARNING,
    "urllib3": logging.WARNING,
    "paramiko": logging.WARNING,
    "stripe": logging.WARNING,
}


def configure_logging(
    *,
    redactor: Redactor,
    level: str = "info",
    fmt: Literal["auto", "json", "console"] = "auto",
    stream: TextIO | None = None,
) -> None:
    """Route structlog and the standard library through one redacting pipeline.

    Args:
        redactor: applied to every event after exceptions are rendered, so secrets and PHI
            inside exception text are removed too.
        level: minimum level.
        fmt: ``json`` lines, ``console`` (readable, coloured on a TTY), or ``auto``.
        stream: where lines go (default stderr).
    """
    out = stream or sys.stderr
    use_json = fmt == "json" or (fmt == "auto" and not out.isatty())
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.stdlib.ExtraAdder(),
    ]
    renderer: Any
    if use_json:
        renderer = structlog.processors.JSONRenderer(sort_keys=False)
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=out.isatty())
    structlog.configure(
        processors=[
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.UnicodeDecoder(),
            redactor,
            renderer,
        ],
    )
    handler = logging.StreamHandler(out)
    handler.setFormatter(formatter)
    handler.set_name("connector")
    root = logging.getLogger()
    for existing in [h for h in root.handlers if h.get_name() == "connector"]:
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name, noisy_level in _NOISY.items():
        logging.getLogger(name).setLevel(max(noisy_level, logging.getLevelName(level.upper())))


def get_logger(name: str = "connector") -> Any:
    """A structlog logger; use event names like ``payment.posted``."""
    return structlog.get_logger(name)


def bind_run(practice_id: str, source: str) -> str:
    """Start a job run's log context (clears the previous one) and return its run id."""
    run_id = uuid.uuid4().hex[:12]
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(practice_id=practice_id, source=source, run_id=run_id)
    return run_id


def clear_run() -> None:
    """End a job run's log context."""
    structlog.contextvars.clear_contextvars()
