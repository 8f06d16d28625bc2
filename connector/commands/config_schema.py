"""``connector config-schema``: print the JSON Schema of the YAML file (for editors)."""

from __future__ import annotations

import argparse
import json

from connector.config import json_schema


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``config-schema`` command."""
    parser = sub.add_parser("config-schema", help="print the configuration's JSON Schema")
    parser.set_defaults(handler=handle)


def handle(_args: argparse.Namespace) -> int:
    """Print the schema."""
    print(json.dumps(json_schema(), indent=2, sort_keys=True))
    return 0
