"""Value types used in the YAML: durations (``5m``), secret references, money amounts."""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    PrivateAttr,
    SecretStr,
    model_validator,
)

from connector.errors import SecretNotFound
from connector.money import MoneyError, to_money

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(value: Any) -> dt.timedelta:
    """Parse ``90s``, ``5m``, ``1h``, ``3d`` or a number of seconds into a timedelta."""
    if isinstance(value, dt.timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError("expected a duration like 30s, 5m, 1h or 3d")
    if isinstance(value, int | float):
        return dt.timedelta(seconds=value)
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(f"expected a duration like 30s, 5m, 1h or 3d, got {value!r}")
    number, unit = match.groups()
    return dt.timedelta(seconds=float(number) * _UNITS[unit or "s"])


def format_duration(value: dt.timedelta) -> str:
    """Inverse of :func:`parse_duration` for schema defaults and status output."""
    seconds = int(value.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


Duration = Annotated[
    dt.timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str),
]


def _money(value: Any) -> Decimal:
    try:
        return to_money(value)
    except MoneyError as exc:
        raise ValueError(str(exc)) from exc


Money = Annotated[Decimal, BeforeValidator(_money), PlainSerializer(str, return_type=str)]


class SecretRef(BaseModel):
    """Where a secret comes from: ``{env: NAME}`` or ``{file: PATH}``; ``{value: …}`` discouraged.

    The secret is resolved once when the configuration is loaded and held as a
    :class:`~pydantic.SecretStr`; it never appears in ``repr``, logs or ``diagnostics``.
    """

    model_config = ConfigDict(extra="forbid", frozen=False)

    env: str | None = None
    file: Path | None = None
    value: SecretStr | None = None
    _resolved: SecretStr | None = PrivateAttr(default=None)

    @model_validator(mode="before")
    @classmethod
    def _reject_plain_strings(cls, data: Any) -> Any:
        if isinstance(data, str):
            raise ValueError(
                "secrets must be given as {env: VARIABLE} or {file: /path/to/file}, "
                "not as text in the YAML"
            )
        return data

    @model_validator(mode="after")
    def _exactly_one(self) -> SecretRef:
        given = [name for name in ("env", "file", "value") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of env, file or value")
        return self

    def describe(self) -> str:
        """Where the secret comes from, for messages (never the secret itself)."""
        if self.env:
            return f"environment variable {self.env}"
        if self.file:
            return f"file {self.file}"
        return "inline value in the YAML"

    def get(self) -> str:
        """The secret's text (resolved at load time, or now).

        Raises:
            SecretNotFound: see :meth:`resolve`.
        """
        if self._resolved is None:
            self._resolved = self.resolve()
        return self._resolved.get_secret_value()

    def resolve(self, environ: Mapping[str, str] | None = None) -> SecretStr:
        """Read the secret now and remember it.

        Raises:
            SecretNotFound: the variable is unset/empty or the file is missing/unreadable/empty.
        """
        env = os.environ if environ is None else environ
        if self.value is not None:
            self._resolved = self.value
            return self.value
        if self.env is not None:
            text = env.get(self.env, "")
            if not text:
                raise SecretNotFound(f"environment variable {self.env} is not set")
            self._resolved = SecretStr(text)
            return self._resolved
        assert self.file is not None
        try:
            text = self.file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SecretNotFound(f"cannot read secret file {self.file}: {exc.strerror}") from exc
        if not text:
            raise SecretNotFound(f"secret file {self.file} is empty")
        self._resolved = SecretStr(text)
        return self._resolved


def world_readable(path: Path) -> bool:
    """True when group or others may read ``path`` (POSIX only; False elsewhere)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return bool(mode & (stat.S_IRGRP | stat.S_IROTH)) and os.name == "posix"
