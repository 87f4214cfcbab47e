"""The ``filterql`` command line.

Exit codes: 0 success, 1 an invalid filter (or no match where that matters), 2 usage errors.
Each subcommand is a ``_cmd_*`` function registered in ``_COMMANDS``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from itertools import islice
from typing import Any, Callable, Iterable, Sequence, TextIO

from .errors import FilterError, FilterSyntaxError
from .parser import parse

__all__ = ["main"]

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


class _Usage(Exception):
    """A usage error found after argparse: exit 2 with this message."""


def _read_filter(value: str) -> str:
    """The filter text of an EXPR argument; ``-`` reads standard input (UTF-8)."""
    if value != "-":
        return value
    data = sys.stdin.buffer.read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        # Report it like a syntax error, at the character where decoding stopped.
        head = data[: e.start].decode("utf-8")
        line = head.count("\n") + 1
        column = len(head) - (head.rfind("\n") + 1) + 1
        raise FilterSyntaxError(
            f"standard input is not UTF-8: byte 0x{data[e.start]:02x} at byte offset {e.start}",
            text=data.decode("utf-8", "replace"), offset=len(head), line=line, column=column,
            found=f"0x{data[e.start]:02x}", hint="save the filter as UTF-8", code="encoding",
        ) from None


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


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _cmd_parse(args: argparse.Namespace) -> int:
    expr = parse(_read_filter(args.expr))
    if args.json:
        out = json.dumps(expr.to_json(), ensure_ascii=False)
        if not out.isascii() and _has_surrogate(out):  # a lone surrogate cannot be written as UTF-8
            out = json.dumps(expr.to_json())
        print(out)
    else:
        print(repr(expr))
    return EXIT_OK


def _cmd_fmt(args: argparse.Namespace) -> int:
    from .fixes import fix_filter
    from .renderer import render

    text = _read_filter(args.expr)
    fixed = fix_filter(text, args.profile) if args.fix else None
    print(render(parse(fixed.text if fixed else text), pretty=args.pretty))
    return EXIT_OK


def _cmd_optimize(args: argparse.Namespace) -> int:
    """Print the simplest equivalent filter ("always true"/"always false" in words), steps first with --explain."""
    from .optimizer import Verdict, optimize
    from .renderer import render

    result, steps = optimize(_read_filter(args.expr), explain=True, context=args.context)
    if args.explain:
        for n, step in enumerate(steps, 1):
            print(f"{n}. {step}")
        print("result:" if steps else "result (no rule applies):")
    print(str(result) if isinstance(result, Verdict) else render(result, pretty=args.pretty))
    return EXIT_OK


def _cmd_translate(args: argparse.Namespace) -> int:
    """Print EXPR in the other syntax: the UI search bar's (--from/--to ui) or the API language's (api)."""
    from .renderer import render
    from .ui_parser import from_ui
    from .ui_renderer import to_ui

    source = _read_filter(args.expr)
    expr = from_ui(source, scope=args.scope) if args.source == "ui" else parse(source)
    print(to_ui(expr) if args.target == "ui" else render(expr, pretty=args.pretty))
    return EXIT_OK


def _cmd_lint(args: argparse.Namespace) -> int:
    """Check the filters in Python files; exit 1 when any finding is an error."""
    from .python_lint import fix_source, format_findings, lint_paths, python_files, unified_diff

    if args.fix:
        for f in python_files(args.paths):
            before = f.read_text("utf-8")
            after, applied = fix_source(before, args.profile)
            if after != before:
                f.write_text(after, "utf-8")
                out = sys.stderr if args.format != "text" else sys.stdout
                print(unified_diff(str(f), before, after), end="", file=out)
                for what in applied:
                    print(f"fixed: {f}:{what}", file=out)
    missing = [p for p in args.paths if not os.path.exists(p)]
    if missing:
        raise _Usage(f"no such file or directory: {', '.join(missing)}")
    findings = list(lint_paths(args.paths, args.profile))
    text = format_findings(findings, args.format)
    if text:
        print(text)
    return EXIT_INVALID if any(f.is_error for f in findings) else EXIT_OK


_CALL_OPTIONS = ("filter", "trace_filter", "tree_filter", "start_time", "end_time", "run_type", "is_root", "error",
                 "select", "limit", "run_ids")


def _cmd_check(args: argparse.Namespace) -> int:
    """Validate one filter (EXPR) or a whole list_runs call (the call options); exit 1 on any error."""
    call = {k: getattr(args, k) for k in _CALL_OPTIONS if getattr(args, k) is not None}
    if args.thread_filter is not None:
        call["thread_filter"] = args.thread_filter
    call.update(_params(args.endpoint, args.param))
    if args.endpoint != "list_runs":
        return _check_v2(args, call)
    if args.expr is None and not call:
        raise _Usage("give a filter EXPR, or the arguments of a call (--filter, --start-time, ...)")
    if args.expr is not None and call:
        if args.context in call:
            raise _Usage(f"the filter is given twice: as EXPR and as --{args.context.replace('_', '-')}")
        call[args.context] = args.expr
    for name in ("filter", "trace_filter", "tree_filter"):
        if name in call:
            call[name] = _read_filter(call[name])
            if args.fix:
                call[name] = _apply_fix(call[name], args.profile, name, args.format)
    if call:
        from .query_check import check_query

        if "select" in call:
            call["select"] = _names(call["select"])
        result = check_query(profile=args.profile, **call)
        valid, document, text = result.valid, result.to_json(), result.format()
        limit = result.rate_limit
        text += ("\n" if text else "") + f"rate limit: {limit.requests} requests per {limit.window_seconds} s ({limit.tier})"
        text += "".join(f"\n  advice: {a}" for a in limit.advice)
    else:  # one filter: the call checker (rate limits, ...) is not loaded
        from .diagnostics import format_diagnostics
        from .validator import validate

        source = _read_filter(args.expr)
        if args.fix:
            source = _apply_fix(source, args.profile, args.context, args.format)
        diagnostics = validate(source, args.context, args.profile)
        valid = not any(d.is_error for d in diagnostics)
        document = {"valid": valid, "diagnostics": [d.to_json() for d in diagnostics]}
        text = format_diagnostics(diagnostics, source)
        text += ("\n" if text else "") + _verdict(diagnostics)
    out = json.dumps(document, ensure_ascii=_has_surrogate(text)) if args.format == "json" else text
    if out:  # an undecodable command-line byte arrives as a lone surrogate, which UTF-8 cannot carry
        print(out.encode("utf-8", "backslashreplace").decode("utf-8"))
    return EXIT_OK if valid else EXIT_INVALID


def _apply_fix(text: str, profile: str, name: str, form: str) -> str:
    """``text`` with every certain rewrite applied, its diff printed first (on stderr for JSON output)."""
    import difflib

    from .fixes import fix_filter

    fixed = fix_filter(text, profile)
    if fixed is None:
        return text
    diff = difflib.unified_diff(text.splitlines(), fixed.text.splitlines(), f"{name}", f"{name} (fixed)", lineterm="")
    out = sys.stderr if form == "json" else sys.stdout
    print("\n".join(diff), file=out)
    for what in fixed.applied:
        print(f"fixed: {what}", file=out)
    return fixed.text
def _check_v2(args: argparse.Namespace, call: dict[str, Any]) -> int:
    """``check --endpoint E``: a whole v2 call (EXPR, if given, is the --context filter)."""
    from .endpoint_check import check_query

    if args.expr is not None:
        call[args.context] = args.expr
    for name in ("filter", "trace_filter", "tree_filter", "thread_filter"):
        if isinstance(call.get(name), str):
            call[name] = _read_filter(call[name])
    if "select" in call:
        call["select"] = _names(call["select"])
    result = check_query(endpoint=args.endpoint, profile=args.profile, **call)
    text = result.format()
    text += ("\n" if text else "") + _verdict(result.diagnostics)
    out = json.dumps(result.to_json(), ensure_ascii=_has_surrogate(text)) if args.format == "json" else text
    print(out.encode("utf-8", "backslashreplace").decode("utf-8"))
    return EXIT_OK if result.valid else EXIT_INVALID


def _params(endpoint: str, pairs: Sequence[str] | None) -> dict[str, Any]:
    """``--param NAME=VALUE`` options as a v2 call's parameters, each read by its kind in the endpoint table:
    integers and booleans parsed, lists comma-separated or repeated, everything else text."""
    if not pairs:
        return {}
    from .endpoints import ENDPOINTS, Kind

    if endpoint not in ENDPOINTS:
        raise _Usage(f"--param applies to a v2 endpoint ({', '.join(ENDPOINTS)}), not {endpoint}")
    table = ENDPOINTS[endpoint].by_name
    out: dict[str, Any] = {}
    for pair in pairs:
        name, eq, text = pair.partition("=")
        if not eq or not name:
            raise _Usage(f"--param takes NAME=VALUE, not {pair!r}")
        kind = table[name].kind if name in table else Kind.TEXT  # an unknown name is reported by the check
        if kind in (Kind.UUIDS, Kind.ENUMS):
            out.setdefault(name, []).extend(v.strip() for v in text.split(",") if v.strip())
        elif kind is Kind.INT:
            try:
                out[name] = int(text)
            except ValueError:
                raise _Usage(f"--param {name} takes an integer, not {text!r}") from None
        elif kind is Kind.BOOL:
            out[name] = _boolean_param(name, text)
        else:
            out[name] = text
    return out


def _boolean_param(name: str, text: str) -> bool:
    if text.lower() not in ("true", "false"):
        raise _Usage(f"--param {name} takes true or false, not {text!r}")
    return text.lower() == "true"


def _cmd_query(args: argparse.Namespace) -> int:
    """One page of a v2 endpoint as JSON, or with --all every item as JSONL, following next_cursor."""
    from .pages import iter_pages, query_page
    from .run_files import read_runs

    params = _params(args.endpoint, args.param)
    for name in ("filter", "trace_filter", "tree_filter", "thread_filter"):
        if isinstance(params.get(name), str):
            params[name] = _read_filter(params[name])
    runs = read_runs(*args.runs, skip_invalid=args.skip_invalid)
    if iter(runs) is runs or not runs.rereadable:
        runs = list(runs)  # stdin: read once, page many times
    if not args.all:
        print(json.dumps(query_page(runs, args.endpoint, engine=args.engine, **params).to_json(), ensure_ascii=False))
        return EXIT_OK
    for page in iter_pages(runs, args.endpoint, engine=args.engine, **params):  # the answer computed once
        for item in page.items:
            print(json.dumps(item, ensure_ascii=False))
    return EXIT_OK


def _verdict(diagnostics: Sequence[Any]) -> str:
    """The closing line of ``check``'s text output: valid or not, with the counts."""
    errors = sum(d.is_error for d in diagnostics)
    warnings = len(diagnostics) - errors
    counts = ", ".join(f"{n} {word}{'s' if n != 1 else ''}" for n, word in ((errors, "error"), (warnings, "warning")) if n)
    return ("invalid" if errors else "valid") + (f" ({counts})" if counts else "")


class _Reread:
    """The runs, re-iterable, with a progress bar on stderr on each pass when stderr is a terminal.

    The bar is tqdm's, from the optional ``progress`` extra; without it there is no bar.
    """

    def __init__(self, source: Any) -> None:
        self.source = source
        self.rereadable = getattr(source, "rereadable", True)

    def passing(self, test: Any) -> Any:
        """The source's :meth:`~filterql.run_files.RunReader.passing`, with the bar."""
        return _Reread(self.source.passing(test))

    def __iter__(self) -> Any:
        return (run for batch in self.batches() for run in batch)

    def batches(self) -> Any:
        """The source's :meth:`~filterql.run_files.RunReader.batches`, with the bar."""
        return _counted(self.source.batches(), len)

    def heads(self) -> Any:
        """The source's :meth:`~filterql.run_files.RunReader.heads`, with the bar."""
        return _counted(self.source.heads(), lambda heads: len(heads[0]))


def _counted(batches: Any, size: Callable[[Any], int]) -> Any:
    """``batches``, each counted by its ``size`` on a bar when stderr is a terminal and tqdm is installed."""
    if sys.stderr.isatty():
        try:
            from tqdm import tqdm
        except ImportError:
            pass
        else:
            return _with_bar(batches, size, tqdm(unit=" runs", file=sys.stderr, leave=False))
    return batches


def _with_bar(batches: Any, size: Callable[[Any], int], bar: Any) -> Any:
    with bar:
        for batch in batches:
            bar.update(size(batch))
            yield batch


def _names(values: Sequence[str] | None) -> list[str] | None:
    """Repeated and comma-separated ``--select`` values as one list of names."""
    if not values:
        return None
    return [n.strip() for item in values for n in item.split(",") if n.strip()]


def _cmd_sql(args: argparse.Namespace) -> int:
    """Print the SQL of a filter (with trace and tree filters) for a dialect."""
    from .sql import to_sql

    filters = {n: _read_filter(getattr(args, n)) for n in ("trace_filter", "tree_filter") if getattr(args, n)}
    print(to_sql(_read_filter(args.expr), dialect=args.dialect, pretty=args.pretty, **filters))
    return EXIT_OK


def _cmd_match(args: argparse.Namespace) -> int:
    """Select runs from files like list_runs would; print ids (--ids-only) or JSONL runs."""
    from .query import QueryArgumentError, list_runs_query

    names = [n for n in ("filter", "trace_filter", "tree_filter") if getattr(args, n) is not None]
    if "-" in args.runs and any(getattr(args, n) == "-" for n in names):
        raise _Usage("standard input cannot hold both a filter and the runs")
    if args.engine == "duckdb" and "-" in args.runs:
        raise _Usage("--engine duckdb reads files; standard input needs --engine python")
    # The query is read and checked before any run is: an invalid filter is reported at once (exit 1),
    # an invalid option value (--trace-id abc) as a usage error (exit 2).
    try:
        query = list_runs_query(
            **{name: _read_filter(getattr(args, name)) for name in names}, is_root=args.is_root,
            run_type=args.run_type, error=args.error, start_time=args.start_time, trace_id=args.trace_id,
            parent_run_id=args.parent_run_id, run_ids=args.run_ids, limit=args.limit,
            search_limit=args.search_limit, select=_names(args.select))
    except QueryArgumentError as e:
        raise _Usage(str(e)) from None
    out = sys.stdout
    if args.engine == "duckdb":
        from .sql.match import match_lines

        _write_lines(out, match_lines(args.runs, query, ids_only=args.ids_only, skip_invalid=args.skip_invalid))
        out.flush()
        return EXIT_OK
    from .run_files import read_runs
    from .select_runs import output_lines

    reader = read_runs(*args.runs, skip_invalid=args.skip_invalid, validate=args.validate)
    _write_lines(out, output_lines(_Reread(reader), query, ids_only=args.ids_only))
    out.flush()
    if reader.skipped:
        print(f"skipped {reader.skipped} invalid run{'s' if reader.skipped != 1 else ''}; first: {reader.problems[0]}",
              file=sys.stderr)
    return EXIT_OK


def _write_lines(out: TextIO, lines: Iterable[str]) -> None:
    """``lines`` to ``out``, each ended by a newline: joined a few thousand at a time, not written one by one."""
    lines = iter(lines)
    while chunk := list(islice(lines, 4096)):
        out.write("\n".join(chunk))
        out.write("\n")


def _cmd_serve(args: argparse.Namespace) -> int:
    """Serve run files over LangSmith's read API until interrupted."""
    try:
        from .server import serve
        from .web import routes as page
    except ImportError as e:
        raise _Usage(f"filterql serve needs the serve extra: pip install 'filterql[serve]' ({e})") from None
    if "-" in args.runs:
        raise _Usage("filterql serve reads files; standard input cannot be served")
    if args.host not in ("127.0.0.1", "localhost", "::1") and not args.api_key:
        print(f"warning: serving on {args.host} without --api-key: anyone who can reach it can read the runs",
              file=sys.stderr)
    try:
        serve(args.runs, host=args.host, port=args.port, engine=args.engine, api_key=args.api_key,
              cors_origins=args.cors or (), routes=page.routes(), public=page.PUBLIC)
    except OSError as e:  # the address is taken, or not this machine's
        print(f"error: cannot listen on {args.host}:{args.port}: {e.strerror or e}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


def _port(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) < 65536:
        raise argparse.ArgumentTypeError(f"expected a port number from 0 to 65535, not {text!r}")
    return int(text)


def _timestamp_arg(text: str) -> str:
    from .coerce import CoercionError, parse_timestamp

    try:
        parse_timestamp(text)
    except CoercionError as e:
        raise argparse.ArgumentTypeError(e.message) from None
    return text


_INT64 = 2**63 - 1  # what every engine's LIMIT takes


def _count(low: int) -> Callable[[str], int]:
    """An argparse type: an integer from ``low`` to 2^63-1 (a usage error otherwise, exit 2)."""
    def parse_count(text: str) -> int:
        digits = text.strip()
        value = int(digits) if digits.isdigit() and digits.isascii() and len(digits) <= 19 else -1
        if not low <= value <= _INT64:
            raise argparse.ArgumentTypeError(f"expected an integer from {low} to 2^63-1, not {text[:40]!r}")
        return value

    parse_count.__name__ = "integer"
    return parse_count


#: The optional extra that brings each importable package (pyproject.toml's extras).
_EXTRAS = {"sqlglot": "sql", "duckdb": "sql", "pyarrow": "parquet", "chdb": "clickhouse", "datafusion": "datafusion",
           "langsmith": "langsmith"}


def _missing_extra(error: ModuleNotFoundError) -> str | None:
    """The usage message for a command whose optional extra is not installed, or None for another import error."""
    package = (error.name or "").split(".")[0]
    extra = _EXTRAS.get(package)
    if extra is None or error.name != package:  # a missing submodule is a bug, not a missing extra
        return None
    return f"this command needs the optional '{extra}' extra ({package} is not installed): pip install 'filterql[{extra}]'"


def _boolean(text: str) -> bool:
    if text.lower() not in ("true", "false"):
        raise argparse.ArgumentTypeError(f"expected true or false, not {text!r}")
    return text.lower() == "true"


def _endpoint_names() -> tuple[str, ...]:
    from .endpoints import ENDPOINT_NAMES

    return ENDPOINT_NAMES


def _endpoint(text: str) -> str:
    """``--endpoint``: list_runs, or a v2 endpoint (the v2 table is loaded only when one is named)."""
    if text != "list_runs" and text not in _endpoint_names():
        raise argparse.ArgumentTypeError(f"invalid choice: {text!r} (choose from {', '.join(_endpoint_names())})")
    return text


def _parse_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("expr", metavar="EXPR", help="the filter, or - to read it from stdin")
    p.add_argument("--json", action="store_true", help="print the AST's JSON form")


def _fmt_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("expr", metavar="EXPR", help="the filter, or - to read it from stdin")
    p.add_argument("--pretty", action="store_true", help="indented multi-line layout")
    p.add_argument("--fix", action="store_true", help="apply the rewrites of check --fix first (quoted and dotted "
                   "fields, UI search-bar syntax)")
    p.add_argument("--profile", choices=("offline", "langsmith-v1", "langsmith-v2"), default="offline",
                   help="with --fix: also the rewrites for this endpoint (search(field, x), neq(error, null))")


def _optimize_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("expr", metavar="EXPR", help="the filter, or - to read it from stdin")
    p.add_argument("--explain", action="store_true", help="list every rewrite applied, in order")
    p.add_argument("--pretty", action="store_true", help="indented multi-line layout")
    p.add_argument("--context", choices=("filter", "trace_filter", "tree_filter"), default="filter",
                   help="where EXPR is used (default: filter)")


def _check_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("expr", metavar="EXPR", nargs="?", help="the filter, or - to read it from stdin")
    p.add_argument("--context", choices=("filter", "trace_filter", "tree_filter", "thread_filter"), default="filter",
                   help="where EXPR is used (default: filter)")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    p.add_argument("--profile", choices=("offline", "langsmith-v1", "langsmith-v2"), default="offline",
                   help="also report what this LangSmith endpoint rejects (default: offline)")
    p.add_argument("--fix", action="store_true",
                   help="apply every rewrite whose meaning is certain (diff on stderr), then check the result")
    p.add_argument("--endpoint", type=_endpoint, default="list_runs", metavar="ENDPOINT",
                   help="the call to check: list_runs (default) or a v2 endpoint, with --param NAME=VALUE")
    p.add_argument("--param", action="append", metavar="NAME=VALUE",
                   help="a v2 parameter (repeatable; lists comma-separated), e.g. page_size=50, selects=NAME,STATUS")
    p.add_argument("--thread-filter", metavar="EXPR", help="thread_filter of threads.query (- reads stdin)")
    call = p.add_argument_group("a whole list_runs call (prints its rate-limit tier)")
    for flag in ("--filter", "--trace-filter", "--tree-filter"):
        call.add_argument(flag, metavar="EXPR", help="a filter argument (- reads stdin)")
    call.add_argument("--start-time", metavar="ISO", help="start_time, e.g. 2024-05-01T00:00:00Z")
    call.add_argument("--end-time", metavar="ISO", help="end_time (default: now)")
    call.add_argument("--run-type", metavar="TYPE", help="run_type, e.g. llm")
    call.add_argument("--is-root", type=_boolean, metavar="true|false", help="is_root")
    call.add_argument("--error", type=_boolean, metavar="true|false", help="error")
    call.add_argument("--select", action="append", metavar="NAMES", help="select names, comma-separated or repeated")
    call.add_argument("--limit", type=int, metavar="N", help="limit")
    call.add_argument("--run-id", dest="run_ids", action="append", metavar="UUID", help="run_ids (repeatable)")


def _translate_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("expr", metavar="EXPR", help="the query or filter, or - to read it from stdin")
    p.add_argument("--from", dest="source", choices=("ui", "api"), required=True, help="the syntax of EXPR")
    p.add_argument("--to", dest="target", choices=("ui", "api"), required=True, help="the syntax to print")
    p.add_argument("--scope", choices=("single run", "root run", "any run", "thread"), default="single run",
                   help="the search bar's scope for --from ui (default: single run = filter; root run = "
                        "trace_filter, any run = tree_filter)")
    p.add_argument("--pretty", action="store_true", help="indented multi-line layout (--to api)")


def _lint_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", metavar="PATH", nargs="+", help="Python files or directories")
    p.add_argument("--profile", choices=("offline", "langsmith-v1", "langsmith-v2"), default="offline",
                   help="also report what this LangSmith endpoint rejects (default: offline)")
    p.add_argument("--format", choices=("text", "json", "github"), default="text",
                   help="text (path:line:col: code message), json, or GitHub annotations")
    p.add_argument("--fix", action="store_true", help="rewrite literal filters where the meaning is certain")


def _match_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("runs", metavar="RUNS_FILE", nargs="+", help="JSONL (.jsonl, .jsonl.gz, - for stdin) or .parquet")
    for flag in ("--filter", "--trace-filter", "--tree-filter"):
        p.add_argument(flag, metavar="EXPR", help=f"{flag[2:].replace('-', '_')} (- reads stdin)")
    p.add_argument("--is-root", type=_boolean, metavar="true|false", help="only root (or only child) runs")
    p.add_argument("--run-type", metavar="TYPE", help="run_type, e.g. llm")
    p.add_argument("--error", type=_boolean, metavar="true|false", help="only runs with (or without) an error")
    p.add_argument("--start-time", type=_timestamp_arg, metavar="ISO", help="runs that started at or after this time")
    p.add_argument("--trace-id", metavar="UUID", help="runs of this trace")
    p.add_argument("--parent-run-id", metavar="UUID", help="children of this run")
    p.add_argument("--run-id", dest="run_ids", action="append", metavar="UUID",
                   help="these runs only, ignoring every other filter (repeatable)")
    p.add_argument("--select", action="append", metavar="FIELDS", help="print only these fields (repeatable, or comma-separated)")
    p.add_argument("--limit", type=_count(0), metavar="N", help="at most N runs, newest first")
    p.add_argument("--ids-only", action="store_true", help="print matching run ids, one per line")
    p.add_argument("--skip-invalid", action="store_true", help="skip malformed lines and incomplete runs (counted on stderr)")
    p.add_argument("--validate", choices=("all", "candidates"), default="all",  # run_files.VALIDATE
                   help="all: check every line (default); candidates: pass over unread, so unchecked, the lines "
                   "whose bytes show they cannot match (python engine; faster on a selective filter)")
    p.add_argument("--search-limit", type=_count(1), metavar="N",
                   help="search only the first N characters of each value (LangSmith's index: 250)")
    p.add_argument("--engine", choices=("python", "duckdb"), default="python",
                   help="python (streams any input) or duckdb (SQL over the files; fast on big exports)")


def _query_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("endpoint", metavar="ENDPOINT", choices=_endpoint_names()[1:],
                   help="runs.query, traces.query, threads.query or threads.list_traces")
    p.add_argument("runs", metavar="RUNS_FILE", nargs="+", help="JSONL (.jsonl, .jsonl.gz, - for stdin) or .parquet")
    p.add_argument("--param", action="append", metavar="NAME=VALUE",
                   help="a parameter of the endpoint (repeatable; lists comma-separated), e.g. thread_id=conv-1")
    p.add_argument("--all", action="store_true", help="follow next_cursor to the end, printing every item as JSONL")
    p.add_argument("--engine", choices=("python", "duckdb"), default="python", help="python (default) or duckdb")
    p.add_argument("--skip-invalid", action="store_true", help="skip malformed lines and incomplete runs")


def _sql_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("expr", metavar="EXPR", help="the filter, or - to read it from stdin")
    p.add_argument("--trace-filter", metavar="EXPR", help="trace_filter: the trace's root must match")
    p.add_argument("--tree-filter", metavar="EXPR", help="tree_filter: some run of the trace must match")
    p.add_argument("--dialect", choices=("duckdb", "clickhouse", "datafusion", "spark", "postgres"), default="duckdb",
                   help="SQL dialect (default: duckdb)")
    p.add_argument("--pretty", action="store_true", help="indented multi-line SQL")


def _serve_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("runs", metavar="RUNS_FILE", nargs="+", help="JSONL (.jsonl, .jsonl.gz) or .parquet run files")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine only)")
    p.add_argument("--port", type=_port, default=1984, help="port to listen on (default: 1984; 0 picks a free one)")
    p.add_argument("--engine", choices=("duckdb", "python"), default="duckdb",
                   help="duckdb (loads once into tables; any size) or python (small files)")
    p.add_argument("--api-key", metavar="KEY", help="require this X-API-Key on every request (LANGSMITH_API_KEY)")
    p.add_argument("--cors", action="append", metavar="ORIGIN",
                   help="allow cross-origin reads from ORIGIN, e.g. http://localhost:3000 (repeatable; none by default)")


#: Every command: name -> (function, one-line help, the function adding its arguments).
_COMMANDS: dict[str, tuple[Callable[[argparse.Namespace], int], str, Callable[[argparse.ArgumentParser], None]]] = {
    "parse": (_cmd_parse, "parse a filter and print its AST",
              _parse_arguments),
    "fmt": (_cmd_fmt, "print a filter in canonical form",
              _fmt_arguments),
    "optimize": (_cmd_optimize, "print the simplest equivalent filter (or say it is always true/false)",
              _optimize_arguments),
    "check": (_cmd_check, "validate a filter, or a whole list_runs call, before sending it",
              _check_arguments),
    "translate": (_cmd_translate, "translate between the UI search bar's syntax and the API language",
              _translate_arguments),
    "lint": (_cmd_lint, "check the filters written in Python files (filter=, trace_filter=, ...)",
              _lint_arguments),
    "match": (_cmd_match, "select runs from JSONL or Parquet files as list_runs would",
              _match_arguments),
    "query": (_cmd_query, "answer a v2 API call (runs.query, traces.query, threads.query, "
              "threads.list_traces) over run files, one page as JSON",
              _query_arguments),
    "sql": (_cmd_sql, "print the SQL query of a filter over filterql's run layout (docs/sql.md)",
              _sql_arguments),
    "serve": (_cmd_serve, "answer the langsmith SDK's read calls (list_runs, read_run, ...) over run files",
              _serve_arguments),
}


def _build_parser(argv: Sequence[str]) -> argparse.ArgumentParser:
    """The parser for ``argv``: the command it names, with its arguments, or every command (for the
    top-level help and usage errors). Building every command's parser is a fifth of ``filterql check``'s
    start-up, each ``ArgumentParser`` looking up its message catalogue."""
    parser = argparse.ArgumentParser(prog="filterql", description="LangSmith filter query language tool.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    named = argv[0] if argv and argv[0] in _COMMANDS else None
    for name, (fn, help, arguments) in _COMMANDS.items():
        if named in (None, name):
            p = sub.add_parser(name, help=help, description=help)
            p.set_defaults(func=fn)
            if named:
                arguments(p)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = _build_parser(argv)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except FilterError as e:
        return _report(e)
    except ValueError as e:  # an unknown endpoint or engine named in a parameter
        print(f"error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except _Usage as e:
        parser.error(str(e))  # exits 2
    except ModuleNotFoundError as e:
        message = _missing_extra(e)
        if message is None:
            raise
        parser.error(message)
    except BrokenPipeError:  # e.g. `filterql match ... | head`
        return EXIT_OK
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
