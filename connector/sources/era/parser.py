"""Streaming 835 parser: bytes in, one :class:`Remittance` per ST…SE out.

Only :class:`connector.errors.ParseError` escapes for bad input; it names the file, the
segment number (1-based position in the file), the segment id and the element. Envelope
rules checked here (each failure is a ParseError, because a file whose counts disagree was
cut off or corrupted): ISA13 = IEA02, GS06 = GE02, ST02 = SE02, SE01 = segments in ST…SE,
GE01 = number of STs, IEA01 = number of GSs, ST01 = 835, and the file must not end inside an
envelope. Balancing is a verdict on each remittance (see :mod:`connector.sources.era.validate`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from connector.errors import ParseError
from connector.sources.era.model import Envelope, Remittance
from connector.sources.era.tokenizer import CHUNK_SIZE, Tokenizer
from connector.sources.era.transaction import TransactionBuilder
from connector.sources.era.validate import check_control

_VERSIONS_5010 = ("005010X221A1", "005010X221")


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while one batch (one chunk of text) is parsed.

    The parser creates no reference cycles, so everything it frees is freed by reference
    counting; without the pause the collector re-scans the growing remittance every few
    hundred allocations, which cost ~25 % of parse time (docs/benchmarks-era.md). The pause is
    per batch and never spans a ``yield``, so callers' code always runs with their own setting.
    """
    enabled = gc.isenabled()
    if enabled:
        gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _pad(els: list[str], size: int) -> list[str]:
    return els + [""] * (size - len(els)) if len(els) < size else els


class _Envelope:
    """Where we are in ISA/GS/ST and what each trailer must repeat."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.isa: list[str] | None = None
        self.gs: list[str] | None = None
        self.gs_count = 0
        self.st_count = 0
        self.component = ":"

    def error(self, message: str, seg_no: int, sid: str, element: str | None = None) -> ParseError:
        return ParseError(
            message, file=self.name, segment_no=seg_no, segment_id=sid, element=element
        )


def parse_stream(
    stream: BinaryIO,
    name: str,
    *,
    file_sha256: str | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> Iterator[Remittance]:
    """Yield each transaction set of ``stream`` as it is read (the file is never held whole).

    A remittance is yielded when its SE is read; envelope trailers (GE, IEA) are checked
    afterwards, so a caller that must not act on a partly valid file consumes the whole
    iterator (or uses :func:`parse_file`) before recording anything.

    Args:
        stream: binary file object.
        name: file name for errors and payloads (never the content).
        file_sha256: stored on each remittance when the caller already knows it.
        chunk_size: bytes read at a time.

    Raises:
        ParseError: the file is not a well-formed 835 (syntax, envelope, control counts).
    """
    tok = Tokenizer(stream, name, chunk_size)
    env = _Envelope(name)
    txn: TransactionBuilder | None = None
    st: list[str] = []
    st_no = 0
    seg_no = 0
    for batch in tok.batches():
        base = tok.segment_no - len(batch)
        elem = tok.delimiters.element  # type: ignore[union-attr]
        done: list[Remittance] = []
        with _collector_paused():
            i, n = 0, len(batch)
            while i < n:
                if txn is not None:
                    i = txn.consume(batch, i, base, elem)
                    if i >= n:
                        break
                seg_no = base + i + 1
                els = batch[i].split(elem)
                sid = els[0]
                if sid == "SE":
                    if txn is None:
                        raise env.error("SE without ST", seg_no, "SE")
                    done.append(_close_transaction(env, txn, st, st_no, se=els, se_no=seg_no))
                    txn = None
                elif sid == "ST":
                    st, st_no = _pad(els, 4), seg_no
                    txn = _open_transaction(env, st, seg_no, tok)
                else:
                    _envelope_segment(env, els, seg_no, tok)
                i += 1
        seg_no = base + len(batch)
        done.reverse()
        while done:  # pop, so a remittance the caller has dropped is not kept alive here
            remittance = done.pop()
            if file_sha256 is not None:
                remittance = dataclasses.replace(remittance, file_sha256=file_sha256)
            yield remittance
            del remittance
    if txn is not None:
        raise env.error(
            "the file ends inside a transaction set (no SE): truncated", seg_no, "ST", None
        )
    if env.gs is not None:
        raise env.error("the file ends inside a functional group (no GE): truncated", seg_no, "GS")
    if env.isa is not None:
        raise env.error("the file ends inside an interchange (no IEA): truncated", seg_no, "ISA")


def _open_transaction(
    env: _Envelope, st: list[str], seg_no: int, tok: Tokenizer
) -> TransactionBuilder:
    if env.gs is None:
        raise env.error("ST outside a functional group (no GS before it)", seg_no, "ST")
    if st[1] != "835":
        raise env.error(f"transaction set {st[1][:6]!r} is not an 835", seg_no, "ST", "ST01")
    if not st[2]:
        raise env.error("transaction set control number is missing", seg_no, "ST", "ST02")
    env.st_count += 1
    isa, gs = env.isa, env.gs
    assert isa is not None
    envelope = Envelope(
        interchange_control=isa[13],
        sender_id=isa[6].strip(),
        receiver_id=isa[8].strip(),
        usage=isa[15],
        group_control=gs[6],
        version=gs[8],
        transaction_control=st[2],
    )
    delims = tok.delimiters
    assert delims is not None
    builder = TransactionBuilder(env.name, envelope, seg_no, delims.component)
    if gs[8] and gs[8] not in _VERSIONS_5010:
        builder.warnings.append(
            f"segment {seg_no}: version {gs[8][:16]!r} is not 005010X221A1; read as 5010"
        )
    return builder


def _close_transaction(
    env: _Envelope,
    txn: TransactionBuilder,
    st: list[str],
    st_no: int,
    *,
    se: list[str],
    se_no: int,
) -> Remittance:
    se = _pad(se, 3)
    check_control(
        se[2],
        st[2],
        what="SE02 must repeat the ST02 control number",
        file=env.name,
        segment_no=se_no,
        segment_id="SE",
        element="SE02",
    )
    count = str(se_no - st_no + 1)
    if not (se[1].isascii() and se[1].isdigit()):
        raise env.error(f"segment count {se[1][:10]!r} is not a number", se_no, "SE", "SE01")
    check_control(
        se[1],
        count,
        what="SE01 segment count is wrong",
        file=env.name,
        segment_no=se_no,
        segment_id="SE",
        element="SE01",
    )
    return txn.finish(se_no)


def _envelope_segment(env: _Envelope, els: list[str], seg_no: int, tok: Tokenizer) -> None:
    sid = els[0]
    if sid == "ISA":
        if env.isa is not None:
            raise env.error(
                "ISA inside an interchange (the previous IEA is missing)", seg_no, "ISA"
            )
        if len(els) != 17:
            raise env.error(f"ISA must have 16 elements, not {len(els) - 1}", seg_no, "ISA")
        if els[15] not in ("P", "T"):
            raise env.error(
                f"usage indicator {els[15][:3]!r} is not P or T", seg_no, "ISA", "ISA15"
            )
        env.isa = els
        env.gs_count = 0
    elif sid == "GS":
        if env.isa is None or env.gs is not None:
            raise env.error("GS outside an interchange or inside another group", seg_no, "GS")
        env.gs = _pad(els, 9)
        if not env.gs[6]:
            raise env.error("group control number is missing", seg_no, "GS", "GS06")
        env.gs_count += 1
        env.st_count = 0
    elif sid == "GE":
        if env.gs is None:
            raise env.error("GE without GS", seg_no, "GE")
        ge = _pad(els, 3)
        check_control(
            ge[2],
            env.gs[6],
            what="GE02 must repeat the GS06 control number",
            file=env.name,
            segment_no=seg_no,
            segment_id="GE",
            element="GE02",
        )
        check_control(
            ge[1],
            str(env.st_count),
            what="GE01 count of transaction sets is wrong",
            file=env.name,
            segment_no=seg_no,
            segment_id="GE",
            element="GE01",
        )
        env.gs = None
    elif sid == "IEA":
        if env.isa is None or env.gs is not None:
            raise env.error("IEA without ISA, or before the GE of its group", seg_no, "IEA")
        iea = _pad(els, 3)
        check_control(
            iea[2],
            env.isa[13],
            what="IEA02 must repeat the ISA13 control number",
            file=env.name,
            segment_no=seg_no,
            segment_id="IEA",
            element="IEA02",
        )
        check_control(
            iea[1],
            str(env.gs_count),
            what="IEA01 count of functional groups is wrong",
            file=env.name,
            segment_no=seg_no,
            segment_id="IEA",
            element="IEA01",
        )
        env.isa = None
    elif sid == "TA1":
        if env.isa is None or env.gs is not None:
            raise env.error("TA1 outside an interchange header", seg_no, "TA1")
    else:
        where = "outside a transaction set (no ST before it)"
        raise env.error(f"segment {where}", seg_no, sid[:3])


class _HashingReader:
    """Wraps a binary file so its sha256 is computed while it is parsed (one read)."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.sha = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.sha.update(data)
        return data


def parse_file(path: Path) -> list[Remittance]:
    """Parse a whole file; every remittance carries the file's ``file_sha256``.

    Raises:
        ParseError: as :func:`parse_stream`, or when the file cannot be opened.
    """
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise ParseError(f"cannot open the file: {exc.strerror or exc}", file=path.name) from exc
    with raw:
        reader = _HashingReader(raw)
        remittances = list(parse_stream(reader, path.name))  # type: ignore[arg-type]
        digest = reader.sha.hexdigest()
    return [dataclasses.replace(r, file_sha256=digest) for r in remittances]
