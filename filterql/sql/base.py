"""The engine interface: build a ``list_runs`` query, render it in the engine's dialect, run it."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import Any, Callable, Hashable, Iterator, TypeVar

from sqlglot import exp

from ..output_order import ordered_ids, ordered_lines
from ..projection import project
from ..query import RunQuery, list_runs_query
from . import layout
from .dialects import render
from .query import query_sql

__all__ = ["Engine", "compiled", "shared"]

#: Rendered queries kept per engine (repeated filters skip validation, compilation and rendering).
_CACHE_SIZE = 256
_T = TypeVar("_T")


def _frozen(value: Any) -> Hashable:
    """``value`` as a cache key part: lists and sets as tuples; anything else must hash."""
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, (set, frozenset)):
        return frozenset(_frozen(v) for v in value)
    hash(value)
    return value


#: Compiled queries by (arguments, layout), shared by every engine of the process: a filter
#: ``select_sql`` ran before is neither validated nor compiled again.
_COMPILED: OrderedDict[Hashable, exp.Select] = OrderedDict()
_LOCK = threading.Lock()


def _remember(cache: OrderedDict[Hashable, _T], key: Hashable, value: _T) -> None:
    cache[key] = value
    while len(cache) > _CACHE_SIZE:
        cache.popitem(last=False)


def shared(cache: OrderedDict[Hashable, _T], key: Hashable, build: Callable[[], _T]) -> _T:
    """``cache[key]``, built and remembered (the last :data:`_CACHE_SIZE` of them) when absent; for
    the process-wide caches, which any thread may use."""
    with _LOCK:
        value = cache.get(key)
        if value is not None:
            cache.move_to_end(key)
            return value
    value = build()
    with _LOCK:
        _remember(cache, key, value)
    return value


def compiled(key: Hashable | None, engine: Engine, arguments: dict[str, Any]) -> exp.Select:
    """``query_sql`` of ``list_runs`` ``arguments`` for ``engine``'s layout (``key``: the arguments'
    frozen form, None if unhashable)."""
    build = lambda: engine.query_sql(list_runs_query(**arguments))  # noqa: E731
    return build() if key is None else shared(_COMPILED, (key, engine.nested, engine.tag_array), build)


class Engine:
    """A place to run layout queries. ``dialect`` is a :data:`filterql.sql.dialects.DIALECTS` name."""

    dialect = "duckdb"

    def rows(self, sql: str) -> list[tuple[Any, ...]]:  # pragma: no cover - interface
        raise NotImplementedError

    def stream(self, sql: str) -> Iterator[tuple[Any, ...]]:
        """The rows of ``sql``, as they come (engines that can, fetch them in batches)."""
        return iter(self.rows(sql))

    #: Whether the engine holds DuckDB's nested layout (layout.NESTED_COLUMNS and macros).
    nested = False
    #: Whether its ``runs`` has the nested layout's ``tags`` array (every nested layout has).
    tag_array = False

    def query_sql(self, query: RunQuery, **options: Any) -> exp.Select:
        """:func:`filterql.sql.query.query_sql` for this engine's layout."""
        return query_sql(query, nested=self.nested, tag_array=self.tag_array, **options)

    def ids(self, query: RunQuery) -> list[str]:
        """Ids (canonical text) of the runs ``query`` returns, in result order."""
        return [row[0] for row in self.rows(self.render(self.query_sql(query)))]

    def select_ids(self, **arguments: Any) -> list[str]:
        """Ids of the runs matching ``list_runs`` arguments, in result order."""
        return [row[0] for row in self.rows(self.sql(**arguments))]

    def select(self, query: RunQuery) -> list[Any]:
        """What :func:`filterql.select` returns for ``query``: the runs' JSON, or their projections."""
        return [json.loads(line) for line in self.lines(query)]

    def lines(self, query: RunQuery, *, ids_only: bool = False) -> Iterator[str]:
        """``filterql match`` output for ``query``: ids, or JSON lines projected by :func:`filterql.projection.project`.

        The engine streams the matching rows unordered; :mod:`filterql.output_order`
        orders them in bounded memory, as for the Python engine.
        """
        columns = ("start_time_us", "id") if ids_only else ("start_time_us", "id", layout.DOC)
        rows = self.stream(self.render(self.query_sql(query, columns=columns, ordered=False)))
        if ids_only:
            yield from ordered_ids(rows, query.limit)  # type: ignore[arg-type]
            return
        children = self._children(query) if query.needs_children else None

        def line(doc: str, run_id: str) -> str:
            run = json.loads(doc)
            if query.select is not None:
                run = project(run, query.select, None if children is None else children.get(run_id, []))
            return json.dumps(run, ensure_ascii=False, default=str)

        yield from ordered_lines(((micros, run_id, line(doc, run_id)) for micros, run_id, doc in rows), query.limit)

    def _children(self, query: RunQuery) -> dict[str, list[str]]:
        """Child ids of each run ``query`` returns, in the order they ran (``start_time``, then id)."""
        child = "filterql_child"
        col = lambda name: exp.column(name, table=child)  # noqa: E731
        matched = self.query_sql(query).subquery()
        sql = (exp.select(col("parent_run_id"), col("id")).from_(exp.to_table(layout.RUNS).as_(child))
               .where(exp.In(this=col("parent_run_id"), query=matched))
               .order_by(col("start_time_us"), col("id")))
        found: dict[str, list[str]] = {}
        for parent, run_id in self.stream(self.render(sql)):
            found.setdefault(parent, []).append(run_id)
        return found

    def render(self, query: exp.Expression) -> str:
        """``query`` as this engine's SQL text."""
        return render(query, self.dialect)

    def sql(self, **arguments: Any) -> str:
        """The SQL text this engine runs for ``list_runs`` arguments (cached by argument values)."""
        cache: OrderedDict[Hashable, str] = self.__dict__.setdefault("_sql_cache", OrderedDict())
        try:
            key: Hashable | None = tuple(sorted((k, _frozen(v)) for k, v in arguments.items()))
        except TypeError:  # an unhashable argument value: build it every time
            key = None
        if key is None:
            return self._render_arguments(None, arguments)
        return shared(cache, key, lambda: self._render_arguments(key, arguments))

    def _render_arguments(self, key: Hashable | None, arguments: dict[str, Any]) -> str:
        """The text of :meth:`sql` (``key``: the arguments' frozen form, None if unhashable)."""
        return self.render(compiled(key, self, arguments))

    def close(self) -> None:
        """Release what the engine holds (nothing for an engine without resources)."""

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
