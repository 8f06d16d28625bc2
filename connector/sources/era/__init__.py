"""ERA (X12 835) ingest: tokenizer, remittance model, validation and code tables.

Import the parts you need from their modules (``connector.sources.era.parser`` …). This
package module stays light: :class:`EraSource` (which pulls in the configuration models and
pydantic, ~30 MiB) is imported only when it is asked for, so a process that only parses
(``era inspect``, the benchmark) does not pay for it.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any


def stale_compiled_files(folder: str) -> list[str]:
    """Compiled modules left in ``folder`` by the removed ``make era-fast`` build.

    Python imports an extension module in preference to the ``.py`` file of the same name, so
    such a leftover would silently replace the parser's code with an old copy of it.
    """
    return sorted(name for name in os.listdir(folder) if name.endswith((".so", ".pyd")))


_STALE = stale_compiled_files(os.path.dirname(__file__))
if _STALE:
    raise ImportError(
        f"{', '.join(_STALE)} in {os.path.dirname(__file__)}: compiled files of the removed"
        " `make era-fast` build would replace the ERA parser's Python modules; delete them"
        " (`make venv` does)"
    )

if TYPE_CHECKING:
    from connector.sources.era.source import EraSource as EraSource


def __getattr__(name: str) -> Any:
    """Import :class:`EraSource` on first use (PEP 562)."""
    if name == "EraSource":
        from connector.sources.era.source import EraSource  # noqa: PLC0415 - lazy on purpose

        return EraSource
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
