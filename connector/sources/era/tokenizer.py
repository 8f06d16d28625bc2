"""X12 tokenizer: reads delimiters from each ISA and streams segments from a binary file.

Rules (see docs/era.md):

* The delimiters come from the ISA itself: element separator = the byte after ``ISA``;
  component separator = ISA16; segment terminator = the character right after ISA16;
  repetition separator = ISA11 when ISA12 is 5010 or later (in 4010 ISA11 is the standards
  id ``U``). ISA06/ISA08 padding is *not* trusted: ISA16 is found by counting separators,
  so a sender that does not pad still parses.
* The segment terminator is whatever ISA says, CR and LF included. When it is not itself CR
  or LF, every CR and LF is removed before splitting, which covers CRLF after each
  terminator, lines wrapped at a fixed width and newlines written before the terminator.
  When it is CR, every LF is removed (CRLF line ends); when it is LF, every CR.
* After each ``IEA`` the delimiters are read again from the next ``ISA``, so files that
  concatenate interchanges with different delimiters work.
* The file is read in chunks (64 KiB by default: larger chunks were not faster and raised peak
  RSS, see docs/benchmarks.md); only the current chunk and the unfinished
  segment at its end are held.

Text is decoded as UTF-8; a file with bytes that are not UTF-8 is decoded as Latin-1 from that
point on (every byte is a character, so nothing is lost and no decode error can escape).
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from typing import BinaryIO, NamedTuple

from connector.errors import ParseError

CHUNK_SIZE = 1 << 16
_ISA_ELEMENTS = 16
# Characters that cannot be delimiters: letters and digits appear in data everywhere.
_BLANK = " \t\r\n\x00"


class Delimiters(NamedTuple):
    """The four X12 delimiters of one interchange."""

    element: str
    component: str
    repetition: str | None
    segment: str


class _Decoder:
    """UTF-8 incremental decoding that falls back to Latin-1 for the rest of the file."""

    def __init__(self) -> None:
        self._utf8 = codecs.getincrementaldecoder("utf-8")()
        self.latin1 = False

    def decode(self, data: bytes, final: bool = False) -> str:
        if self.latin1:
            return data.decode("latin-1")
        try:
            return self._utf8.decode(data, final)
        except UnicodeDecodeError:
            pending, _ = self._utf8.getstate()
            self.latin1 = True
            return (pending + data).decode("latin-1")


def split_segments(text: str, term: str, elem: str) -> tuple[list[str], int]:
    """Split text read so far at the segment terminator ``term``.

    Returns the complete segments (line breaks that are not the terminator removed, empty
    segments dropped) followed by the unfinished rest of the text, and the index of the
    first ``IEA`` segment, or -1.
    """
    if term == "\r":  # CR, or CRLF: the LF is a line break
        text = text.replace("\n", "")
    elif term == "\n":  # LF, or CRLF: the CR is a line break
        text = text.replace("\r", "")
    elif "\n" in text or "\r" in text:
        text = text.replace("\r", "").replace("\n", "")
    batch = text.split(term)
    rest = batch.pop()
    batch = [raw for raw in batch if raw]  # empty segments, e.g. "~~"
    iea_at = -1
    iea = "IEA" + elem
    if "IEA" in text:  # most chunks have none: no need to look at each segment
        for index, raw in enumerate(batch):
            if raw.startswith(iea) or raw == "IEA":  # a bare "IEA" segment counts too
                iea_at = index
                break
    batch.append(rest)
    return batch, iea_at


class Tokenizer:
    """Iterates the segments of an X12 file as lists of elements.

    ``segment_no`` is the 1-based position in the file of the last segment handed out, and
    ``delimiters`` those of the interchange it belongs to.

    Args:
        stream: a binary file object opened for reading.
        name: the file name used in error messages.
        chunk_size: bytes read at a time.
    """

    def __init__(self, stream: BinaryIO, name: str, chunk_size: int = CHUNK_SIZE) -> None:
        self.stream = stream
        self.name = name
        self.chunk_size = chunk_size
        self.delimiters: Delimiters | None = None
        self.segment_no = 0
        self._decoder = _Decoder()
        self._eof = False
        self._leading = True

    def error(self, message: str, *, segment_id: str | None = None) -> ParseError:
        """A ParseError located at the current position."""
        return ParseError(
            message, file=self.name, segment_no=self.segment_no or None, segment_id=segment_id
        )

    def _read(self) -> str:
        if self._eof:
            return ""
        try:
            data = self.stream.read(self.chunk_size)
        except OSError as exc:  # a read error on a half-copied file is bad input, not a crash
            raise self.error(f"cannot read the file: {exc.strerror or exc}") from exc
        if not data:
            self._eof = True
            return self._decoder.decode(b"", final=True)
        return self._decoder.decode(data)

    def _start_interchange(self, text: str) -> str:
        """Read delimiters from the ISA at the start of ``text`` (reading more if needed)."""
        if self._leading:
            text = text.lstrip("\ufeff" + _BLANK)
        while len(text) < 128 and not self._eof:
            more = self._read()
            text += more
            if self._leading:
                text = text.lstrip("\ufeff" + _BLANK)
        self._leading = False
        if not text.startswith("ISA") or len(text) < 4:
            what = "an empty file" if not text.strip() else "does not start with an ISA segment"
            if text.startswith("ISA"):
                what = "the ISA segment is cut short"
            raise self.error(f"not an X12 interchange: {what}", segment_id="ISA")
        element = text[3]
        if element.isalnum() or element in " \r\n":
            raise self.error(f"invalid element separator {element!r} in ISA", segment_id="ISA")
        pos = 3
        for _ in range(_ISA_ELEMENTS - 1):
            pos = text.find(element, pos + 1)
            if pos < 0 or pos > 200:
                raise self.error("ISA segment is cut short or malformed", segment_id="ISA")
        if pos + 2 >= len(text):
            raise self.error("ISA segment is cut short", segment_id="ISA")
        component = text[pos + 1]
        segment = text[pos + 2]
        if segment in "\r\n":
            # Some senders put the line break before the terminator ("…*:\n~GS*…").
            after = text[pos + 2 : pos + 12].lstrip("\r\n")
            if after[:1] and not after[0].isalnum() and after[1:].lstrip("\r\n")[:2] == "GS":
                segment = after[0]
        fields = text[: pos + 1].split(element)
        repetition: str | None = fields[11] if len(fields) > 11 else None
        version = fields[12] if len(fields) > 12 else ""
        if repetition is not None and (
            len(repetition) != 1 or repetition.isalnum() or version < "00501"
        ):
            repetition = None  # 4010: ISA11 is the standards id "U", not a delimiter
        seps = {element, component, segment}
        if (
            len(seps) != 3
            or component.isalnum()
            or segment.isalnum()
            or component in " \r\n"
            or segment == " "
        ):
            raise self.error(
                f"ISA delimiters are not usable (element {element!r}, component {component!r},"
                f" segment {segment!r})",
                segment_id="ISA",
            )
        self.delimiters = Delimiters(element, component, repetition, segment)
        return text

    def _next_interchange(self, rest: str) -> str | None:
        """After an IEA: the text of the next ISA, or None at the end of the file."""
        while True:
            rest = rest.lstrip(_BLANK)
            if rest or self._eof:
                break
            rest = self._read()
        if not rest.strip(_BLANK + "\x1a"):
            return None
        return self._start_interchange(rest)

    def segments(self) -> Iterator[list[str]]:
        """Yield every segment as a list of elements (element 0 is the segment id), in order.

        Raises:
            ParseError: no ISA, unusable delimiters, text after an IEA that is not another
                interchange, or an unterminated segment at the end of the file.
        """
        for batch in self.batches():
            assert self.delimiters is not None
            elem = self.delimiters.element
            self.segment_no -= len(batch)
            for raw in batch:
                self.segment_no += 1
                yield raw.split(elem)

    def batches(self) -> Iterator[list[str]]:
        """Lists of raw segments (text between terminators), one chunk at a time.

        A batch never spans two interchanges, so :attr:`delimiters` is the one to split it
        with. When a batch is handed out, :attr:`segment_no` is the position of its last
        segment.

        Raises:
            ParseError: as :meth:`segments`.
        """
        text: str | None = self._start_interchange(self._read())
        while text is not None:
            delims = self.delimiters
            assert delims is not None
            term, elem = delims.segment, delims.element
            restart: str | None = None
            while True:
                batch, iea_at = split_segments(text, term, elem)
                text = batch.pop()
                if iea_at >= 0:
                    # re-join what follows: the next ISA may use other delimiters
                    restart = "".join(r + term for r in batch[iea_at + 1 :]) + text
                    del batch[iea_at + 1 :]
                if batch:
                    self.segment_no += len(batch)
                    yield batch
                if restart is not None:
                    break
                more = self._read()
                if not more:
                    break
                text += more
            if restart is None:
                rest = text.strip(_BLANK + "\x1a")
                if rest:
                    self.segment_no += 1
                    raise self.error(
                        "the file ends in the middle of a segment"
                        " (truncated: no segment terminator)",
                        segment_id=rest.split(elem)[0][:3] or None,
                    )
                return
            text = self._next_interchange(restart)
