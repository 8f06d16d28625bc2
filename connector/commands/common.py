"""Helpers shared by sub-commands: load config, set up logging, open the store."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

from connector.clock import SYSTEM, Clock
from connector.config import LoadedConfig, config_path, load_config
from connector.logging import configure_logging
from connector.redaction import Redactor
from connector.store import StateStore, open_store, url_secrets


@dataclass
class Runtime:
    """What most commands need: the config, the redactor, the store and the one clock."""

    config: LoadedConfig
    redactor: Redactor
    store: StateStore
    clock: Clock = SYSTEM


def load(args: argparse.Namespace, *, resolve_secrets: bool = True) -> LoadedConfig:
    """Load the configuration named by ``--config`` / ``$CONNECTOR_CONFIG``.

    Raises:
        ConfigError: with every problem listed.
    """
    explicit = getattr(args, "config_file", None) or args.config
    return load_config(config_path(explicit), resolve_secrets=resolve_secrets)


def runtime(args: argparse.Namespace, *, resolve_secrets: bool = True) -> Runtime:
    """Load config, configure redacting logs and open the store."""
    loaded = load(args, resolve_secrets=resolve_secrets)
    settings = loaded.settings.logging
    secrets = [*loaded.secret_values(), *url_secrets(loaded.settings.state.url)]
    redactor = Redactor(secrets, extra_fields=settings.redact_fields)
    stream = sys.stdout if settings.stream == "stdout" else sys.stderr
    configure_logging(redactor=redactor, level=settings.level, fmt=settings.format, stream=stream)
    for warning in loaded.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return Runtime(loaded, redactor, open_store(loaded.settings.state.url, clock=SYSTEM), SYSTEM)
