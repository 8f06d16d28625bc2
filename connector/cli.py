"""The ``connector`` command. Each sub-command lives in ``connector/commands/<name>.py``.

Exit status: 0 success; 1 a job or check failed; 2 configuration problems (each printed on
its own line with its YAML path); 130 interrupted.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from connector import __version__
from connector.errors import ConfigError, ConnectorError

# Sub-command name -> the module that registers it. Only the module of the command being run is
# imported (``connector era inspect`` does not load the configuration models, the store or the
# scheduler); ``connector --help`` and an unknown command load them all to list them.
COMMANDS = {
    "run": "connector.commands.run",
    "check-config": "connector.commands.check_config",
    "status": "connector.commands.status",
    "config-schema": "connector.commands.config_schema",
    "diagnostics": "connector.commands.diagnostics",
    "report": "connector.commands.report",
    "era": "connector.commands.era",
    "review": "connector.commands.review",
    "retry": "connector.commands.retry",
    "requeue": "connector.commands.requeue",
    "state": "connector.commands.state",
    "replay": "connector.commands.replay",
    "console": "connector.commands.console",
}

EXIT_OK, EXIT_FAILED, EXIT_CONFIG, EXIT_INTERRUPTED = 0, 1, 2, 130


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser with sub-command ``command`` only, or with all of them.

    Args:
        command: a name in :data:`COMMANDS`; anything else (None included) registers all.
    """
    parser = argparse.ArgumentParser(
        prog="connector",
        description="Post cleared patient payments and insurance remittances into PMS ledgers.",
    )
    parser.add_argument("--version", action="version", version=f"connector {__version__}")
    parser.add_argument("--config", help="YAML configuration file (default: $CONNECTOR_CONFIG)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    names = [command] if command in COMMANDS else list(COMMANDS)
    for name in names:
        importlib.import_module(COMMANDS[name]).register(sub)
    _config_after_command(sub)
    return parser


def _config_after_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Accept ``--config`` after the command too (``connector run --once --config FILE``)."""
    for command in sub.choices.values():
        command.add_argument("--config", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
        for action in command._actions:
            if isinstance(action, argparse._SubParsersAction):
                _config_after_command(action)


def command_word(argv: Sequence[str]) -> str | None:
    """The sub-command named in ``argv``: its first word that is not an option or its value."""
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--config":
            skip = True  # the next word is the file
        elif not arg.startswith("-"):
            return arg
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    words = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(command_word(words))
    args = parser.parse_args(words)
    try:
        result: int = args.handler(args)
    except ConfigError as exc:
        print(exc.message, file=sys.stderr)
        if exc.problems != [exc.message]:
            for problem in exc.problems:
                print(f"  {problem}", file=sys.stderr)
        return EXIT_CONFIG
    except ConnectorError as exc:
        print(f"error [{exc.code}]: {exc.message}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return _reader_went_away()
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        return _reader_went_away()
    return result


def _reader_went_away() -> int:
    """``connector … | head``: the reader stopped reading. Not an error; exit quietly.

    Python's own advice: point stdout at devnull so the flush at exit cannot raise again.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
