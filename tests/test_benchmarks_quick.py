"""``python -m benchmarks`` runs end to end (tiny sizes) and writes every key of the issue, and a small chart."""

from __future__ import annotations

import json
import math
from pathlib import Path

from benchmarks.__main__ import TARGETS, main

KEYS = ("parse_speedup_vs_langchain", "eval_ratio_vs_lambda", "eval_speedup_vs_rust_cel",
        "eval_speedup_vs_cel_python", "duckdb_speedup_vs_python", "duckdb_ratio_vs_handwritten_sql",
        "duckdb_worst_filter_ratio", "duckdb_open_ratio_vs_same_connection", "postgres_ratio_vs_handwritten_sql",
        "spark_ratio_vs_handwritten_sql", "tree_filter_growth_2x", "check_startup_ratio_vs_import",
        "parse_linear_growth_4x", "parse_error_growth_4x", "serve_http_ratio_vs_in_process", "match_ids_only_peak_mb",
        "jsonl_python_vs_orjson_parse", "jsonl_python_vs_orjson_parse_no_filter", "jsonl_duckdb_ratio_vs_handwritten")


def test_tiny_run_writes_every_key_and_a_chart(tmp_path: Path) -> None:
    out, png = tmp_path / "out.json", tmp_path / "chart.png"
    assert main(["--tiny", "--json", str(out), "--chart", str(png)]) == 0
    figures = json.loads(out.read_text())
    for key in KEYS:
        value = figures[key]
        assert isinstance(value, float) and math.isfinite(value) and value > 0, (key, value)
        assert figures["targets"][key]["met"] == (
            value >= TARGETS[key][0] if TARGETS[key][1] == "min" else value <= TARGETS[key][0])
    assert figures["details"]["mode"] == "tiny"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size < 100_000
