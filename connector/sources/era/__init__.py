"""ERA (X12 835) ingest: tokenizer, remittance model, validation and code tables.

Import the parts you need from their modules (``connector.sources.era.parser`` …); this
package module stays light: :class:`EraSource` (which brings in the configuration models) is
loaded on first use, so the parser alone does not pay for pydantic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from connector.sources.era.source import EraSource as EraSource


def __getattr__(name: str) -> Any:
    """``EraSource`` on first access (PEP 562), for the source registry and callers."""
    if name == "EraSource":
        from connector.sources.era.source import EraSource  # noqa: PLC0415

        return EraSource
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
