"""Command-line interface: ``python -m fgir COMMAND``. Each command is one module registered here."""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import dataclass
from typing import Callable

from fgir.errors import FgirError

logger = logging.getLogger("fgir")

EXIT_ERROR = 2


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


COMMANDS: dict[str, Command] = {}


def register_command(command: Command) -> Command:
    COMMANDS[command.name] = command
    return command


class OneLineErrorParser(argparse.ArgumentParser):
    """Argument parser whose errors are one line on stderr, without the usage block."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_ERROR, f"{self.prog}: error: {message}. See --help.\n")


def build_parser() -> argparse.ArgumentParser:
    # Imported here so that registering commands never runs at package import.
    from fgir.commands import compare_command, evaluate_command, index_command, search_command, train_hash_command  # noqa: F401
    from fgir.commands import download_command  # noqa: F401
    from fgir.commands import export_space_command  # noqa: F401

    parser = OneLineErrorParser(prog="python -m fgir", description="Fine-grained image retrieval from the command line.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details (INFO level)")
    subparsers = parser.add_subparsers(dest="command", required=True, parser_class=OneLineErrorParser)
    for command in COMMANDS.values():
        subparser = subparsers.add_parser(command.name, help=command.help, description=command.help)
        command.add_arguments(subparser)
        subparser.set_defaults(handler=command.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        return args.handler(args)
    except FgirError as error:
        print(f"{parser.prog} {args.command}: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print(f"{parser.prog} {args.command}: interrupted; finished indexing chunks are kept and reused.", file=sys.stderr)
        return 130
