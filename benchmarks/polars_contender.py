"""Hand-written Polars queries for the filters of :data:`benchmarks.sql_bench.FILTERS`.

Each is what a Polars user would write against the Parquet file of
:func:`benchmarks.sql_bench.generate` (JSON documents stored as text columns):
a lazy ``scan_parquet``, the filter, the API's order (newest ``start_time``
first, ties by id), the ids. Null handling follows SQL (Kleene logic, a null
filter result drops the row), so the answers equal the hand-written SQL's.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable

__all__ = ["EXPRESSIONS", "polars_query"]


def _contains(col: Any, word: str) -> Any:
    return col.str.to_lowercase().str.contains(word, literal=True)


def _four_conditions(pl: Any) -> Any:
    return ((pl.col("run_type") == "llm") & (pl.col("total_tokens") > 100)
            & pl.col("tags").list.contains("production") & (pl.col("status") == "success"))


def _latency_window(pl: Any) -> Any:
    return ((pl.col("end_time") - pl.col("start_time") > timedelta(seconds=5))
            & (pl.col("start_time") >= datetime(2024, 5, 1, 12)) & pl.col("error").is_null())


def _metadata_pair(pl: Any) -> Any:
    return pl.col("extra").str.json_path_match("$.metadata.environment") == "production"


def _search(pl: Any) -> Any:
    word = "timeout"
    return (_contains(pl.col("name"), word) | _contains(pl.col("error"), word)
            | pl.col("tags").list.eval(_contains(pl.element(), word)).list.any()
            | _contains(pl.col("inputs"), word) | _contains(pl.col("outputs"), word)
            | _contains(pl.col("extra"), word))


#: label in ``sql_bench.FILTERS`` -> builder of the Polars filter expression
EXPRESSIONS: dict[str, Callable[[Any], Any]] = {
    "4 conditions": _four_conditions,
    "latency window": _latency_window,
    "metadata pair": _metadata_pair,
    "search": _search,
}


def polars_query(path: Path, label: str) -> list[str]:
    """Ids of the runs in the Parquet file ``path`` matching filter ``label``, in the API's order."""
    import polars as pl

    frame = (pl.scan_parquet(path).filter(EXPRESSIONS[label](pl))
             .sort(["start_time", "id"], descending=[True, False]).select("id").collect())
    return frame["id"].to_list()
