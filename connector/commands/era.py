"""``connector era inspect FILE [--json]``: show what an 835 file says, touching nothing.

Needs no configuration file and never connects to a PMS or the state store. Exit status 0 when
the file parses (balanced or not: the verdict is printed), 1 when it cannot be parsed.
"""

from __future__ import annotations

import argparse
import os
import sys

from connector.sources.era.parser import parse_file
from connector.sources.era.report import render_text, to_document


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``era`` command group."""
    parser = sub.add_parser("era", help="ERA (835) tools")
    era_sub = parser.add_subparsers(dest="era_command", required=True, metavar="ERA_COMMAND")
    inspect = era_sub.add_parser(
        "inspect", help="print a parsed 835 file: payment, claims, adjustments, balancing"
    )
    inspect.add_argument("file", help="the 835 file")
    inspect.add_argument("--json", action="store_true", help="machine-readable output")
    inspect.set_defaults(handler=handle_inspect)


def handle_inspect(args: argparse.Namespace) -> int:
    """Parse and print one file.

    Raises:
        ParseError: the file is not a valid 835 (printed by the CLI with its location).
    """
    path: str = args.file
    name = os.path.basename(path)
    remittances = parse_file(path)
    if args.json:
        from connector import jsonutil  # noqa: PLC0415 - json only when asked for (start-up)

        sys.stdout.write(jsonutil.dumps(to_document(name, remittances), indent=2) + "\n")
    else:
        sys.stdout.write(render_text(name, remittances))
    return 0
