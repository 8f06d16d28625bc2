"""Streaming 835 parser: bytes in, remittances (or their claims one by one) out.

Only :class:`connector.errors.ParseError` escapes for bad input; it names the file, the
segment number (1-based position in the file), the segment id and the element. Envelope rules
are in :mod:`connector.sources.era.envelope`; balancing is a verdict on each remittance (see
:mod:`connector.sources.era.validate`).

Two ways to read a file, same rules and same objects:

* :func:`parse_stream` / :func:`parse_file` hand out one whole :class:`Remittance` (one ST…SE)
  at a time: memory grows with the largest transaction set (~3 KB per claim).
* :func:`stream_claims` hands out each :class:`ClaimPayment` as soon as its loop closes,
  between a :class:`RemittanceStart` and a :class:`RemittanceEnd`: memory stays flat however
  many claims one check holds.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from typing import BinaryIO, NamedTuple

from connector.errors import ParseError
from connector.sources.era.claimloop import ClaimLoop
from connector.sources.era.envelope import EnvelopeState, pad
from connector.sources.era.model import ClaimPayment, Remittance
from connector.sources.era.tokenizer import CHUNK_SIZE, Tokenizer
from connector.sources.era.transaction import TransactionBuilder


class RemittanceStart(NamedTuple):
    """:func:`stream_claims`: a transaction set begins; its claims follow.

    ``remittance`` holds what the header says (payment, trace, payer, payee, envelope, so
    ``item_key``, ``test`` and what :func:`connector.sources.era.records.claim_record` reads
    from it) but no claims, PLB, verdicts or warnings yet: those are in the
    :class:`RemittanceEnd`.
    """

    remittance: Remittance


class RemittanceEnd(NamedTuple):
    """:func:`stream_claims`: a transaction set ended (its SE was read and checked).

    ``remittance`` is complete (PLB, ``balance_errors`` of every line, claim and the payment,
    warnings) except that ``claims`` is empty: they were handed out one by one, and
    ``claim_count`` says how many.
    """

    remittance: Remittance
    claim_count: int


StreamEvent = RemittanceStart | ClaimPayment | RemittanceEnd


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
    for event in _events(stream, name, file_sha256, chunk_size, streaming=False):
        assert isinstance(event, Remittance)
        yield event
        del event  # a remittance the caller has dropped is not kept alive here


def stream_claims(
    stream: BinaryIO,
    name: str,
    *,
    file_sha256: str | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> Iterator[StreamEvent]:
    """Yield, per transaction set: a :class:`RemittanceStart`, each claim, a :class:`RemittanceEnd`.

    Each :class:`ClaimPayment` is yielded within one chunk of being read, with its own line
    and claim verdicts, and is not kept: memory does not grow with the number of claims.
    The rules, objects and errors are those of :func:`parse_stream` (the same code), and the
    same caution applies: GE/IEA are checked after the claims before them were yielded.

    Raises:
        ParseError: as :func:`parse_stream`.
    """
    for event in _events(stream, name, file_sha256, chunk_size, streaming=True):
        assert not isinstance(event, Remittance)
        yield event
        del event


def _events(
    stream: BinaryIO, name: str, file_sha256: str | None, chunk_size: int, *, streaming: bool
) -> Iterator[Remittance | StreamEvent]:
    """The parse loop: remittances (``streaming=False``) or stream events."""
    tok = Tokenizer(stream, name, chunk_size)
    env = EnvelopeState(name)
    try:
        yield from _read(tok, env, file_sha256, streaming=streaming)
    except ParseError as exc:
        env.raise_count_errors(exc)  # with the wrong counts read before it, if any
        raise


def _read(
    tok: Tokenizer, env: EnvelopeState, file_sha256: str | None, *, streaming: bool
) -> Iterator[Remittance | StreamEvent]:
    """Hand each segment to the open transaction set or to the envelope; yield as they close."""
    txn: TransactionBuilder | None = None
    claim_loop: ClaimLoop | None = None  # txn's: it takes nearly every segment
    started = False  # the RemittanceStart of txn was yielded
    st: list[str] = []
    st_no = 0
    for batch in tok.batches():  # a chunk's segments (tok.segments() is the same, slower)
        delims = tok.delimiters  # of the interchange this batch belongs to
        assert delims is not None
        elem = delims.element
        for seg_no, raw in enumerate(batch, tok.segment_no - len(batch) + 1):
            els = raw.split(elem)
            sid = els[0]
            if txn is not None and sid != "SE":
                assert claim_loop is not None
                if not claim_loop.take(els, seg_no):  # a claim-loop segment, or for the builder
                    txn.segment(els, seg_no)
                if streaming and claim_loop.claims:  # a claim closed: hand it out now
                    if not started:
                        yield RemittanceStart(txn.header())
                        started = True
                    yield from txn.take_claims()
            elif sid == "SE":
                if txn is None:
                    raise env.error("SE without ST", seg_no, "SE")
                remittance = env.close_transaction(txn, st, st_no, els, seg_no)
                if streaming:
                    if not started:
                        yield RemittanceStart(txn.header())
                    yield from txn.take_claims()
                    yield RemittanceEnd(remittance, txn.claim_count)
                else:
                    yield remittance
                del remittance  # a remittance the caller has dropped is not kept alive here
                txn = None
            elif sid == "ST":
                st, st_no = pad(els, 4), seg_no
                txn = env.open_transaction(st, seg_no, delims.component, file_sha256,
                                           keep_claims=not streaming)  # fmt: skip
                claim_loop = txn.loop
                started = False
            else:
                env.segment(els, seg_no)
    seg_no = tok.segment_no
    if txn is not None:
        raise env.error(
            "the file ends inside a transaction set (no SE): truncated", seg_no, "ST", None
        )
    if env.gs is not None:
        raise env.error("the file ends inside a functional group (no GE): truncated", seg_no, "GS")
    if env.isa is not None:
        raise env.error("the file ends inside an interchange (no IEA): truncated", seg_no, "ISA")


class _HashingReader:
    """Wraps a binary file so its sha256 is computed while it is parsed (one read)."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.sha = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.sha.update(data)
        return data


def parse_file(path: str | os.PathLike[str]) -> list[Remittance]:
    """Parse a whole file; every remittance carries the file's ``file_sha256``.

    Raises:
        ParseError: as :func:`parse_stream`, or when the file cannot be opened.
    """
    name = os.path.basename(path)
    try:
        raw = open(path, "rb")  # noqa: SIM115 - closed by the with below
    except OSError as exc:
        raise ParseError(f"cannot open the file: {exc.strerror or exc}", file=name) from exc
    with raw:
        reader = _HashingReader(raw)
        remittances = list(parse_stream(reader, name))  # type: ignore[arg-type]
        sha256 = reader.sha.hexdigest()
    return [r._replace(file_sha256=sha256) for r in remittances]
