"""A small progress display for long commands: a text bar on a terminal, plain lines otherwise."""

from __future__ import annotations

import sys
from typing import TextIO


class Progress:
    """Shows ``done/total`` for one labelled task on ``stream`` (default: stderr).

    On a terminal the bar is redrawn in place (``\\r``); elsewhere (a log file, CI) a plain line
    is written each time another tenth of the work is done, and at the end.
    """

    def __init__(self, label: str, *, stream: TextIO | None = None, width: int = 30) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._drawn = False
        self._last_tenth = -1

    def update(self, done: int, total: int) -> None:
        """Report that ``done`` of ``total`` units are finished."""
        if total <= 0:
            return
        done = min(done, total)
        if self.tty:
            filled = self.width * done // total
            bar = "#" * filled + "-" * (self.width - filled)
            self.stream.write(f"\r{self.label} [{bar}] {done}/{total}")
            self._drawn = True
        else:
            tenth = 10 * done // total
            if tenth == self._last_tenth and done != total:
                return
            self._last_tenth = tenth
            self.stream.write(f"{self.label}: {done}/{total}\n")
        self.stream.flush()

    def finish(self) -> None:
        """End the bar's line (terminal only)."""
        if self.tty and self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False
