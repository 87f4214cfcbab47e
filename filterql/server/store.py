"""The runs ``filterql serve`` answers from: loaded once, then one query per request.

Two stores share one interface. :class:`PythonStore` holds the runs as dicts and
answers with :func:`filterql.select` (small files). :class:`DuckDBStore` loads the
files into DuckDB once, as tables, and answers each request on a cursor of its
own taken from a pool, so requests run in parallel.

Every run belongs to a project: its ``session_id`` (``project_id`` in v2 data),
or, when it names none, its file's project, named after the file
(``exports/runs.jsonl`` → ``runs``) with a UUID derived from that name; such a
run is answered with that ``session_id``, so ``/sessions`` and the runs agree.
"""

from __future__ import annotations

import contextlib
import json
import queue
import threading
import uuid
from collections import OrderedDict, defaultdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

import attrs
from sqlglot import exp

from .. import runs as R
from ..pages import Answer, V2Call, python_answer
from ..run_files import read_runs
from ..select_runs import select
from ..sql.dialects import render
from ..sql.load import SOURCE, connect, load_files, materialize
from ..sql.query import build_query

__all__ = ["Project", "RunStore", "PythonStore", "DuckDBStore", "file_project", "open_store", "ENGINES"]

#: Namespace of the UUIDs given to file projects (uuid5 of the project name).
FILE_PROJECT_NAMESPACE = uuid.UUID("5f0c1a52-3d8e-4c1b-9a57-6a1f0e2d9b44")
#: The one (made-up) workspace every project of a served file belongs to.
TENANT_ID = "00000000-0000-0000-0000-000000000000"

_DATA_SUFFIXES = (".gz", ".jsonl", ".json", ".ndjson", ".parquet", ".pq")


#: v2 answers kept per store, newest used last (each is one call's whole ordered answer).
V2_ANSWERS_KEPT = 32


def file_project(path: str | Path) -> tuple[str, str]:
    """``(id, name)`` of the project of a file's runs that name none: the file's name without its data suffixes."""
    name = Path(path).name
    while True:
        stem, dot, suffix = name.rpartition(".")
        if not dot or not stem or f".{suffix.lower()}" not in _DATA_SUFFIXES:
            break
        name = stem
    return str(uuid.uuid5(FILE_PROJECT_NAMESPACE, name)), name


@attrs.frozen
class Project:
    """A tracing project of the served runs (LangSmith's ``TracerSession``)."""

    id: str
    name: str
    run_count: int
    first_start: datetime | None
    last_start: datetime | None

    def to_json(self) -> dict[str, Any]:
        """The SDK's ``TracerSessionResult`` shape."""
        iso = lambda t: None if t is None else t.isoformat()  # noqa: E731
        return {"id": self.id, "name": self.name, "tenant_id": TENANT_ID, "reference_dataset_id": None,
                "start_time": iso(self.first_start), "end_time": None, "description": None, "extra": None,
                "run_count": self.run_count, "last_run_start_time": iso(self.last_start)}


def _name_projects(counts: Mapping[str, tuple[int, datetime | None, datetime | None]],
                   names: Mapping[str, str]) -> tuple[Project, ...]:
    """Projects by id; one known only by its id is named by it. Ordered by name."""
    out = [Project(pid, names.get(pid, pid), n, first, last) for pid, (n, first, last) in counts.items()]
    return tuple(sorted(out, key=lambda p: (p.name, p.id)))


class RunStore:
    """Loaded runs, queried with ``list_runs`` arguments (those of :func:`filterql.select`) and v2 calls."""

    engine = ""
    projects: tuple[Project, ...] = ()
    run_count = 0

    def __init__(self) -> None:
        self._answers: OrderedDict[tuple[str, str], Answer] = OrderedDict()
        self._answers_lock = threading.Lock()

    def v2_runs(self) -> Iterable[dict[str, Any]]:
        """The runs as dicts with their projects, for the v2 answers."""
        raise NotImplementedError

    def v2_answer(self, call: V2Call) -> Answer:
        """The whole ordered answer of a v2 call (:func:`filterql.pages.python_answer`), kept for the
        next pages of the same call: paging through an answer computes it once."""
        key = (call.endpoint.name, call.digest())
        with self._answers_lock:
            if key in self._answers:
                self._answers.move_to_end(key)
                return self._answers[key]
        answer = python_answer(self.v2_runs(), call)
        with self._answers_lock:
            self._answers[key] = answer
            while len(self._answers) > V2_ANSWERS_KEPT:
                self._answers.popitem(last=False)
        return answer

    def page(self, arguments: Mapping[str, Any], offset: int, size: int) -> tuple[list[dict[str, Any]], bool]:
        """Runs ``offset`` .. ``offset + size`` of the answer (``select`` shape), and whether more follow."""
        raise NotImplementedError

    def run(self, run_id: str) -> dict[str, Any] | None:
        """The run with this (canonical) id, or None."""
        raise NotImplementedError

    def project(self, key: str) -> Project | None:
        """The project with this id or name."""
        for p in self.projects:
            if key in (p.id, p.name):
                return p
        return None

    def close(self) -> None:
        """Release what the store holds."""


def _with_project(run: dict[str, Any], session_id: str) -> dict[str, Any]:
    if run.get("session_id") is None and run.get("project_id") is None:
        return {**run, "session_id": session_id}
    return run


class PythonStore(RunStore):
    """Runs held as dicts, answered by :func:`filterql.select`."""

    engine = "python"

    def __init__(self, paths: Sequence[str | Path], *, progress: Callable[[Iterable[Any]], Iterable[Any]] | None = None,
                 ) -> None:
        super().__init__()
        runs: list[dict[str, Any]] = []
        names: dict[str, str] = {}
        for path in paths:
            pid, name = file_project(path)
            reader: Iterable[Any] = read_runs(path)
            for run in (progress(reader) if progress else reader):
                runs.append(_with_project(R.as_dict(run), pid))
            names[pid] = name
        self.runs = runs
        self.by_id = {R.uuid_text(r["id"]) or str(r["id"]): r for r in runs}
        stats: dict[str, list[Any]] = defaultdict(lambda: [0, None, None])
        for r in runs:
            s = stats[_ident(r.get("session_id") or r.get("project_id"))]
            t = R.timestamp(r.get("start_time"))
            s[0] += 1
            s[1] = t if s[1] is None or (t is not None and t < s[1]) else s[1]
            s[2] = t if s[2] is None or (t is not None and t > s[2]) else s[2]
        self.projects = _name_projects({k: tuple(v) for k, v in stats.items()}, names)  # type: ignore[misc]
        self.run_count = len(runs)

    def page(self, arguments: Mapping[str, Any], offset: int, size: int) -> tuple[list[dict[str, Any]], bool]:
        found = select(self.runs, **arguments, limit=offset + size + 1)
        return found[offset:offset + size], len(found) > offset + size

    def run(self, run_id: str) -> dict[str, Any] | None:
        return self.by_id.get(run_id)

    def v2_runs(self) -> Iterable[dict[str, Any]]:
        return self.runs


def _ident(value: Any) -> str:
    return R.uuid_text(value) or str(value)


class DuckDBStore(RunStore):
    """Runs loaded into DuckDB tables once; each query runs on a pooled cursor."""

    engine = "duckdb"

    def __init__(self, paths: Sequence[str | Path], *, progress: bool | None = None, cursors: int = 4) -> None:
        super().__init__()
        files = [str(p) for p in paths]
        projects = {p: file_project(p) for p in files}
        self._files = projects
        con = connect(progress)
        load_files(files, con, session_ids={p: pid for p, (pid, _) in projects.items()})
        materialize(con, source=True)
        # Pages and read_run fetch runs by id: an index makes that a lookup, not a scan.
        con.execute(f"CREATE INDEX filterql_src_id ON {SOURCE} (id)")
        self._con = con
        self._pool: queue.Queue[Any] = queue.Queue()
        for _ in range(max(1, cursors)):
            self._pool.put(con.cursor())
        rows = con.execute("SELECT session_id, count(*), min(start_time), max(start_time) FROM runs "
                           "GROUP BY session_id").fetchall()
        utc = lambda t: None if t is None else t.replace(tzinfo=timezone.utc)  # noqa: E731
        counts = {_ident(pid): (n, utc(first), utc(last)) for pid, n, first, last in rows}
        self.projects = _name_projects(counts, {pid: name for pid, name in projects.values()})
        self.run_count = sum(n for n, _, _ in counts.values())

    @contextlib.contextmanager
    def _cursor(self) -> Iterator[Any]:
        cur = self._pool.get()
        try:
            yield cur
        finally:
            self._pool.put(cur)

    def page(self, arguments: Mapping[str, Any], offset: int, size: int) -> tuple[list[dict[str, Any]], bool]:
        arguments = dict(arguments)
        fields = arguments.pop("select", None)
        query = build_query(nested=True, columns=("id",), limit=size + 1, **arguments)
        if offset:
            query = query.offset(offset)
        with self._cursor() as cur:
            ids = [row[0] for row in cur.execute(render(query, "duckdb")).fetchall()]
            more = len(ids) > size
            ids = ids[:size]
            raw = self._raw(cur, ids)
            children = self._children(cur, ids) if fields is not None and "child_run_ids" in fields else None
        found = [json.loads(raw[i]) for i in ids]
        if fields is None:
            return found, more
        projected = select(found, run_ids=ids, select=fields)
        if children is not None:
            for item, run_id in zip(projected, ids):
                item["child_run_ids"] = children.get(run_id, [])
        return projected, more

    @staticmethod
    def _raw(cur: Any, ids: list[str]) -> dict[str, str]:
        """The original JSON text of runs ``ids`` (canonical ids from the layout, rendered as SQL literals)."""
        if not ids:
            return {}
        listed = ", ".join(exp.Literal.string(i).sql("duckdb") for i in dict.fromkeys(ids))
        return dict(cur.execute(f"SELECT id, CAST(raw AS VARCHAR) FROM {SOURCE} WHERE id IN ({listed})").fetchall())

    def _children(self, cur: Any, ids: list[str]) -> dict[str, list[Any]]:
        """Child run ids of ``ids``, in the order of the input (as :func:`filterql.select` lists them)."""
        if not ids:
            return {}
        rows = cur.execute(f"SELECT s.parent_run_id, json_extract(s.raw, '$.id') FROM {SOURCE} AS s "
                           "WHERE s.parent_run_id IN (SELECT unnest(?::VARCHAR[])) ORDER BY s.rowid", [ids]).fetchall()
        out: dict[str, list[Any]] = defaultdict(list)
        for parent, child in rows:
            out[parent].append(json.loads(child))
        return out

    def run(self, run_id: str) -> dict[str, Any] | None:
        with self._cursor() as cur:
            row = cur.execute(f"SELECT CAST(raw AS VARCHAR) FROM {SOURCE} WHERE id = ? LIMIT 1",
                              [run_id]).fetchone()
        return None if row is None else json.loads(row[0])

    def v2_runs(self) -> Iterable[dict[str, Any]]:
        # The v2 answers are computed in Python over the files, read again for each new call (its
        # pages reuse the answer): the grouped SQL of filterql.sql.pages loads its own copy of the runs.
        for path, (pid, _) in self._files.items():
            for run in read_runs(path):
                yield _with_project(R.as_dict(run), pid)

    def close(self) -> None:
        while not self._pool.empty():
            self._pool.get().close()
        self._con.close()


ENGINES: dict[str, Callable[..., RunStore]] = {"duckdb": DuckDBStore, "python": PythonStore}


def open_store(paths: Sequence[str | Path], engine: str = "duckdb", **options: Any) -> RunStore:
    """Load ``paths`` (JSONL or Parquet run files) into a store for ``engine`` (duckdb or python)."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    return ENGINES[engine](paths, **options)
