"""Parsed date segments, keyed by their raw text.

Nearly every ``DTM`` segment of a remittance repeats verbatim (``DTM*472*20261001``: a few
service dates per file, on every line and claim): the parser looks the raw segment up here
before splitting it and, on a hit, reuses the qualifier and date it read the first time.
Only two-element DTMs with a valid date are stored, so errors and warnings always come from
the full path. One cache per element separator (a raw text means something else under
another separator), cleared when it reaches :data:`LIMIT` entries.

(Caching CAS and AMT the same way was measured too: their amounts vary too much — in the
benchmark files 70 % of CAS segments missed a 4 096-entry cache — and it was slower.)
"""

from __future__ import annotations

import datetime as dt
from typing import Final

LIMIT = 4096  # not Final: tests lower it


class SegmentCache:
    """The date segments seen with one element separator."""

    def __init__(self) -> None:
        self.dtm: dict[str, tuple[str, dt.date]] = {}  # raw DTM -> (qualifier, date)

    def add_dtm(self, raw: str, value: tuple[str, dt.date]) -> None:
        """Remember a two-element DTM with a valid date."""
        if len(self.dtm) >= LIMIT:
            self.dtm.clear()
        self.dtm[raw] = value


_CACHES: Final[dict[str, SegmentCache]] = {}


def cache_for(element_separator: str) -> SegmentCache:
    """The cache of segments split with ``element_separator``."""
    found = _CACHES.get(element_separator)
    if found is None:
        found = _CACHES[element_separator] = SegmentCache()
    return found
