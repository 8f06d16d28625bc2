"""JSON encoding that keeps Decimals exact (as strings) and dates in ISO form."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from enum import Enum
from typing import Any


def _default(obj: Any) -> Any:
    if isinstance(obj, Decimal):
        return str(obj)
    if isinstance(obj, dt.datetime | dt.date):
        return obj.isoformat()
    if isinstance(obj, Enum):
        return obj.value
    if hasattr(type(obj), "__dataclass_fields__"):  # a dataclass instance
        import dataclasses  # noqa: PLC0415 - only when one is met: `era inspect` never does

        return dataclasses.asdict(obj)
    if isinstance(obj, set | frozenset | tuple):
        return list(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def dumps(obj: Any, *, indent: int | None = None) -> str:
    """Serialise with Decimal → str, date → ISO text; keys sorted for stable output."""
    return json.dumps(obj, default=_default, sort_keys=True, indent=indent)


def loads(text: str | bytes | None) -> Any:
    """Parse JSON text (``None`` or empty → ``{}``)."""
    if not text:
        return {}
    return json.loads(text)
