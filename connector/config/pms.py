"""PMS sections of the YAML: one model per vendor, chosen by ``vendor:``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field

from connector.config.types import Duration, SecretRef


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OdbcSettings(_Strict):
    """An ODBC connection: a full connection string (it holds a password: a secret) or a DSN."""

    connection_string: SecretRef | None = None
    dsn: str | None = None
    timeout: Duration = Field(default="30s", validate_default=True)


class OpenDentalApi(_Strict):
    """Open Dental REST API (Local, Service or Remote mode: only the base URL differs)."""

    base_url: AnyHttpUrl
    developer_key: SecretRef
    customer_key: SecretRef
    timeout: Duration = Field(default="30s", validate_default=True)


class OpenDentalPms(_Strict):
    """Open Dental: read over ODBC (SELECT-only user), write through the REST API."""

    vendor: Literal["opendental"]
    api: OpenDentalApi
    odbc: OdbcSettings


class DentrixDdp(_Strict):
    """Dentrix Developer Program registration (Windows, Dentrix.API.dll)."""

    key_file: Path
    user: SecretRef
    password: SecretRef
    dll_path: Path | None = None


class DentrixPms(_Strict):
    """Dentrix G: DDP write-enabled views over the c-treeACE ODBC driver."""

    vendor: Literal["dentrix"]
    odbc: OdbcSettings | None = None
    ddp: DentrixDdp | None = None


class EaglesoftAuthentication(_Strict):
    """SQL Anywhere ``connection_authentication`` parts; the signature comes from Patterson."""

    company: str
    application: str
    signature: SecretRef


class EaglesoftPms(_Strict):
    """Eaglesoft: SQL Anywhere over ODBC, authenticated for writes."""

    vendor: Literal["eaglesoft"]
    odbc: OdbcSettings
    authentication: EaglesoftAuthentication | None = None
    settings_token: SecretRef | None = None  # Windows-only EaglesoftSettings COM flow


PmsSettings = Annotated[OpenDentalPms | DentrixPms | EaglesoftPms, Field(discriminator="vendor")]
