"""Configuration: pydantic models for the YAML file, secret references, and the loader."""

from connector.config.loader import LoadedConfig, config_path, iter_secrets, load_config
from connector.config.models import (
    ConnectorSettings,
    HealthSettings,
    LeaseSettings,
    LoggingSettings,
    PostingSettings,
    PracticeSettings,
    StateSettings,
    json_schema,
)
from connector.config.pms import DentrixPms, EaglesoftPms, OpenDentalPms, PmsSettings
from connector.config.sources import (
    AutoPostRules,
    AutoPostSettings,
    EraSettings,
    PaymentsSettings,
    StripeSettings,
    WritebackSettings,
)
from connector.config.types import Duration, SecretRef, parse_duration

__all__ = [
    "AutoPostRules",
    "AutoPostSettings",
    "ConnectorSettings",
    "DentrixPms",
    "Duration",
    "EaglesoftPms",
    "EraSettings",
    "HealthSettings",
    "LeaseSettings",
    "LoadedConfig",
    "LoggingSettings",
    "OpenDentalPms",
    "PaymentsSettings",
    "PmsSettings",
    "PostingSettings",
    "PracticeSettings",
    "SecretRef",
    "StateSettings",
    "StripeSettings",
    "WritebackSettings",
    "config_path",
    "iter_secrets",
    "json_schema",
    "load_config",
    "parse_duration",
]
