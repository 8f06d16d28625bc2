"""Streaming 835 parser: bytes in, one :class:`Remittance` per ST…SE out.

Only :class:`connector.errors.ParseError` escapes for bad input; it names the file, the
segment number (1-based position in the file), the segment id and the element.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from connector.errors import NotImplementedYet
from connector.sources.era.model import Remittance


def parse_stream(
    stream: BinaryIO, name: str, *, file_sha256: str | None = None
) -> Iterator[Remittance]:
    """Yield each transaction set of ``stream`` as it is read (the file is never held whole).

    A remittance is yielded when its SE is read; envelope trailers (GE, IEA) are checked
    afterwards, so a caller that must not act on a partly valid file consumes the whole
    iterator (or uses :func:`parse_file`) before recording anything.

    Raises:
        ParseError: the file is not a well-formed 835 (syntax, envelope, control counts).
    """
    raise NotImplementedYet("ERA parser: work in progress")
    yield  # pragma: no cover


def parse_file(path: Path) -> list[Remittance]:
    """Parse a whole file (hashing it first, so payloads carry ``file_sha256``).

    Raises:
        ParseError: as :func:`parse_stream`.
    """
    raise NotImplementedYet("ERA parser: work in progress")
