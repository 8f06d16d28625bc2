"""``python -m workshop COMMAND``: the workshop's entry points (today: ``demo``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from workshop import demo_command


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the chosen workshop command."""
    parser = argparse.ArgumentParser(prog="python -m workshop", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo_command.register(sub)
    args = parser.parse_args(argv)
    result: int = args.handler(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
