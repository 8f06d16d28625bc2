"""ERA (X12 835) ingest: tokenizer, remittance model, validation and code tables.

Import the parts you need from their modules (``connector.sources.era.parser`` …). This
package module stays light: :class:`EraSource` (which pulls in the configuration models and
pydantic, ~30 MiB) is imported only when it is asked for, so a process that only parses
(``era inspect``, the benchmark) does not pay for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from connector.sources.era.source import EraSource as EraSource


def __getattr__(name: str) -> Any:
    """Import :class:`EraSource` on first use (PEP 562)."""
    if name == "EraSource":
        from connector.sources.era.source import EraSource  # noqa: PLC0415 - lazy on purpose

        return EraSource
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
