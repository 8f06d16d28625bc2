"""The top of the YAML: state, logging, posting, health, and the list of practices."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from connector.config.console import AlertsSettings, ConsoleSettings
from connector.config.pms import PmsSettings
from connector.config.sources import EraSettings, PaymentsSettings
from connector.config.types import Duration


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StateSettings(_Strict):
    """Where the durable state lives: ``sqlite:///path`` (default) or ``postgresql://…``."""

    url: str = "sqlite:///var/lib/connector/state.db"

    @field_validator("url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        if not value.startswith(("sqlite:///", "postgresql://", "postgres://")):
            raise ValueError("expected sqlite:///path/to/state.db or postgresql://…")
        return value


class LeaseSettings(_Strict):
    """Practice leases: how several instances on one PostgreSQL store share the practices.

    ``enabled: auto`` turns leases on for a PostgreSQL store and off for SQLite (one instance).
    """

    enabled: bool | Literal["auto"] = "auto"
    ttl: Duration = Field(default="60s", validate_default=True)
    max_practices: int | None = Field(default=None, ge=1)

    @field_validator("ttl")
    @classmethod
    def _sane_ttl(cls, value: dt.timedelta) -> dt.timedelta:
        if not dt.timedelta(seconds=1) <= value <= dt.timedelta(hours=1):
            raise ValueError("expected a lease time between 1s and 1h (60s is a good default)")
        return value

    def active(self, state_url: str) -> bool:
        """Whether leases are used with this store URL."""
        if self.enabled == "auto":
            return state_url.startswith(("postgresql://", "postgres://"))
        return bool(self.enabled)


class LoggingSettings(_Strict):
    """Log format and level; ``auto`` is JSON unless stderr is a terminal."""

    format: Literal["auto", "json", "console"] = "auto"
    level: Literal["debug", "info", "warning", "error"] = "info"
    stream: Literal["stderr", "stdout"] = "stderr"
    redact_fields: tuple[str, ...] = Field(
        default=(), description="extra field names to redact, added to the built-in list"
    )


class PostingSettings(_Strict):
    """The posting job: how often, how many per run, how often to retry."""

    poll_every: Duration = Field(default="1m", validate_default=True)
    batch_size: int = Field(default=200, ge=1, le=10000)
    max_attempts: int = Field(default=8, ge=1, le=100)
    retry_backoff: Duration = Field(default="1m", validate_default=True)
    retry_backoff_max: Duration = Field(default="6h", validate_default=True)
    outcome_unknown_wait: Duration = Field(
        default="5m",
        validate_default=True,
        description="after a PMS write got no answer (timeout), how long to wait before "
        "looking for it again and, only if it is still absent, sending it again; must be "
        "longer than every PMS API timeout",
    )


class HealthSettings(_Strict):
    """Opt-in /healthz and /metrics HTTP endpoint."""

    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = Field(default=9108, ge=1, le=65535)
    failing_after: Duration | None = Field(
        default="30m", validate_default=True,
        description="/healthz turns unhealthy when a practice's posting (the job, or items "
        "waiting for a retry) has been failing longer than this; null: never for that reason",
    )  # fmt: skip


class PracticeSettings(_Strict):
    """One practice: its PMS, its payments source and its ERA source."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$", description="short stable id")
    name: str | None = None
    enabled: bool = True
    timezone: str = "UTC"
    currency: str = Field(
        default="usd",
        description="ISO 4217 code of the practice's money (e.g. usd, cad); payments in any "
        "other currency go to review as currency_mismatch",
    )
    max_payment: Decimal = Field(
        default=Decimal("50000.00"),
        gt=0,
        description="a payment, refund or insurance claim payment larger than this (in the "
        "practice's currency) is never posted automatically: it goes to review as "
        "amount_above_limit",
    )
    pms: PmsSettings
    payments: PaymentsSettings | None = None
    era: EraSettings | None = None

    @field_validator("max_payment", mode="before")
    @classmethod
    def _money_ceiling(cls, value: Any) -> Any:
        if isinstance(value, float):  # YAML 50000.00 is a float: read its text exactly
            return Decimal(str(value))
        return value

    @field_validator("currency")
    @classmethod
    def _currency_code(cls, value: str) -> str:
        code = value.strip().lower()
        if len(code) != 3 or not code.isascii() or not code.isalpha():
            raise ValueError("expected a three-letter ISO 4217 currency code, e.g. usd")
        return code

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value


class ConnectorSettings(BaseSettings):
    """The whole configuration file.

    Values come from the YAML file; environment variables ``CONNECTOR_<SECTION>__<KEY>``
    override scalar settings (e.g. ``CONNECTOR_LOGGING__LEVEL=debug``).
    """

    model_config = SettingsConfigDict(
        extra="forbid",
        frozen=True,
        env_prefix="CONNECTOR_",
        env_nested_delimiter="__",
        nested_model_default_partial_update=True,
    )

    state: StateSettings = StateSettings()
    leases: LeaseSettings = LeaseSettings()
    logging: LoggingSettings = LoggingSettings()
    posting: PostingSettings = PostingSettings()
    health: HealthSettings = HealthSettings()
    console: ConsoleSettings = ConsoleSettings()
    alerts: AlertsSettings | None = None
    practices: list[PracticeSettings] = Field(min_length=1)

    @model_validator(mode="after")
    def _outcome_wait_outlasts_api_timeouts(self) -> ConnectorSettings:
        wait = self.posting.outcome_unknown_wait
        for practice in self.practices:
            api = getattr(practice.pms, "api", None)
            timeout = getattr(api, "timeout", None)
            if isinstance(timeout, dt.timedelta) and wait <= timeout:
                raise ValueError(
                    f"posting.outcome_unknown_wait ({wait}) must be longer than practice "
                    f"{practice.id!r} pms.api.timeout ({timeout}): a write that timed out may "
                    "still be committed by the PMS until then (twice the timeout or more is safe)"
                )
        return self

    @model_validator(mode="after")
    def _unique_practice_ids(self) -> ConnectorSettings:
        seen: set[str] = set()
        for practice in self.practices:
            if practice.id in seen:
                raise ValueError(f"practice id {practice.id!r} is used twice")
            seen.add(practice.id)
        if self.alerts is not None:
            unknown = sorted(set(self.alerts.practice_to) - seen)
            if unknown:
                raise ValueError(f"alerts.practice_to names unknown practices: {unknown}")
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Environment first (overrides), then the YAML data passed in by the loader."""
        return (env_settings, init_settings)

    def practice(self, practice_id: str) -> PracticeSettings:
        """Return one practice by id (KeyError when unknown)."""
        for practice in self.practices:
            if practice.id == practice_id:
                return practice
        raise KeyError(practice_id)


def json_schema() -> dict[str, Any]:
    """JSON Schema of the YAML file, for editors (``connector config-schema``)."""
    return ConnectorSettings.model_json_schema(mode="validation")
