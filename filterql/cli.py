"""The ``filterql`` command line.

Exit codes: 0 success, 1 an invalid filter (or no match where that matters), 2 usage errors.
Each subcommand is a ``_cmd_*`` function registered in ``_build_parser``.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Callable, Sequence

from . import ast
from .errors import FilterError, FilterSyntaxError, FilterValidationError
from .parser import parse

__all__ = ["main"]

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


class _Usage(Exception):
    """A usage error found after argparse: exit 2 with this message."""


def _read_filter(value: str) -> str:
    """The filter text of an EXPR argument; ``-`` reads standard input."""
    if value == "-":
        return sys.stdin.read()
    return value


def _color(text: str, code: str) -> str:
    if sys.stderr.isatty():
        return f"\033[{code}m{text}\033[0m"
    return text


def _report(error: FilterError) -> int:
    """Print an invalid-filter error on stderr (colour only on a terminal) and return exit 1."""
    label = _color("error", "1;31")
    if isinstance(error, FilterSyntaxError):
        print(f"{label}: {error}", file=sys.stderr)
    else:
        print(str(error), file=sys.stderr)
    return EXIT_INVALID


def _cmd_parse(args: argparse.Namespace) -> int:
    expr = parse(_read_filter(args.expr))
    if args.json:
        print(json.dumps(expr.to_json(), ensure_ascii=False))
    else:
        print(repr(expr))
    return EXIT_OK


def _cmd_fmt(args: argparse.Namespace) -> int:
    from .render import render

    print(render(parse(_read_filter(args.expr)), pretty=args.pretty))
    return EXIT_OK


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="filterql", description="LangSmith filter query language tool.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, fn: Callable[[argparse.Namespace], int], help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        p.set_defaults(func=fn)
        return p

    p = command("parse", _cmd_parse, "parse a filter and print its AST")
    p.add_argument("expr", metavar="EXPR", help="the filter, or - to read it from stdin")
    p.add_argument("--json", action="store_true", help="print the AST's JSON form")

    p = command("fmt", _cmd_fmt, "print a filter in canonical form")
    p.add_argument("expr", metavar="EXPR", help="the filter, or - to read it from stdin")
    p.add_argument("--pretty", action="store_true", help="indented multi-line layout")

    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except FilterError as e:
        return _report(e)
    except _Usage as e:
        parser.error(str(e))  # exits 2
    except BrokenPipeError:  # e.g. `filterql match ... | head`
        return EXIT_OK
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
