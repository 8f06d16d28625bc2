"""Helpers for the ERA parser tests: sample locations and in-memory parsing."""

from __future__ import annotations

import dataclasses
import io
import os
from decimal import Decimal
from pathlib import Path

from connector.errors import ParseError
from connector.sources.era.model import Remittance
from connector.sources.era.parser import parse_stream

REPO = Path(__file__).resolve().parents[3]
FILES = Path(__file__).resolve().parent / "files"


def shared_dir() -> Path | None:
    """``$CONNECTOR_SHARED_DIR``, else ``<repo>/../shared``, else ``/work/shared`` (if present)."""
    env = os.environ.get("CONNECTOR_SHARED_DIR")
    candidates = [Path(env)] if env else [REPO.parent / "shared", Path("/work/shared")]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    return None


def samples_dir() -> Path | None:
    """The shared public 835 samples, or None when they are not beside the checkout."""
    shared = shared_dir()
    if shared is None or not (shared / "samples" / "era").is_dir():
        return None
    return shared / "samples" / "era"


def parse_bytes(data: bytes, name: str = "test.835", chunk_size: int = 1 << 20) -> list[Remittance]:
    """Parse an in-memory file completely."""
    return list(parse_stream(io.BytesIO(data), name, chunk_size=chunk_size))


def canonical(value: object) -> object:
    """A comparable, picklable form of a parse result, hidden (``repr=False``) fields included."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = [(f.name, canonical(getattr(value, f.name))) for f in dataclasses.fields(value)]
        return (type(value).__name__, *fields)
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # a NamedTuple record
        named = [(name, canonical(getattr(value, name))) for name in value._fields]
        return (type(value).__name__, *named)
    if isinstance(value, tuple | list):
        return tuple(canonical(item) for item in value)
    if isinstance(value, Decimal):
        return ("Decimal", str(value))
    return value


def outcome(data: bytes, name: str = "test.835", chunk_size: int = 1 << 16) -> object:
    """The canonical parse result of ``data``, or the located ParseError it raises."""
    try:
        return canonical(parse_bytes(data, name, chunk_size))
    except ParseError as exc:
        return ("ParseError", str(exc), exc.segment_no, exc.segment_id, exc.element)
