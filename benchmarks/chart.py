"""The benchmark chart of docs/benchmarks.md: one PNG of four panels, drawn from ``python -m benchmarks`` results."""

from __future__ import annotations

from typing import Any

__all__ = ["draw"]

_COLORS = {"filterql": "#2b6cb0", "lambda": "#9ca3af", "Rust CEL": "#dd8452", "cel-python": "#c44e52",
           "LangChain": "#8172b3", "Python engine": "#2b6cb0", "DuckDB engine": "#55a868",
           "hand-written SQL": "#9ca3af", "hand-written Polars": "#dd8452"}


def _grouped_bars(ax: Any, groups: list[str], series: dict[str, list[float]], unit: str, log: bool = True) -> None:
    """Horizontal bars, one group per label, one bar per series (first on top), values printed."""
    n = len(series)
    height = 0.8 / n
    for i, (name, values) in enumerate(series.items()):
        ys = [g + i * height - 0.4 + height / 2 for g in range(len(groups))]
        bars = ax.barh(ys, values, height=height * 0.9, color=_COLORS.get(name), label=name)
        for bar, v in zip(bars, values):
            ax.text(bar.get_width() * 1.08, bar.get_y() + bar.get_height() / 2, _fmt(v, unit),
                    va="center", fontsize=7)
    ax.set_yticks(range(len(groups)), groups, fontsize=8)
    lo = min(min(v) for v in series.values())
    hi = max(max(v) for v in series.values())
    if log:
        ax.set_xscale("log")
        ax.set_xlim(lo / 2, hi * 12)
    else:
        ax.set_xlim(0, hi * 1.25)
    ax.invert_yaxis()
    # Above the bars, under the title: in one row when the names are short, else in two.
    ncol = n if sum(len(name) for name in series) < 45 else (n + 1) // 2
    ax.legend(fontsize=7, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=ncol, frameon=False)


def _fmt(v: float, unit: str) -> str:
    if v >= 100:
        return f"{v:,.0f} {unit}"
    if v >= 10:
        return f"{v:.1f} {unit}"
    return f"{v:.2f} {unit}"


def draw(results: dict[str, Any], keys: dict[str, float], path: str) -> None:
    """Write the chart of ``results`` (from :func:`benchmarks.__main__.main`) to ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    fig, axes = plt.subplots(2, 2, figsize=(11, 7.2), dpi=80)
    (parse_ax, eval_ax), (engine_ax, tree_ax) = axes

    p = results["parse"]
    _grouped_bars(parse_ax, [f"{p['filters']} filters"],
                  {"filterql": [p["filterql_us"]], "LangChain": [p["langchain_us"]]}, "µs", log=False)
    parse_ax.set_title(f"Cold parse: filterql {keys['parse_speedup_vs_langchain']:.1f}x faster", fontsize=10, pad=16)
    parse_ax.set_xlabel("µs to parse them all (lower is better)", fontsize=8)

    ev = results["eval"]
    rows = ev["filters"]
    _grouped_bars(eval_ax, [r["filter"] for r in rows], {
        "lambda": [r["lambda_us"] for r in rows],
        "filterql": [r["filterql_us"] for r in rows],
        "Rust CEL": [r["rust_cel_us"] for r in rows],
        "cel-python": [r["cel_python_us"] for r in rows],
    }, "µs")
    eval_ax.set_title(f"Evaluation: {keys['eval_ratio_vs_lambda']:.2f}x the lambda's time, "
                      f"{keys['eval_speedup_vs_rust_cel']:.0f}x faster than Rust CEL", fontsize=10, pad=16)
    eval_ax.set_xlabel("µs per run (lower is better)", fontsize=8)

    en = results["engines"]
    _grouped_bars(engine_ax, [f"{n:,} runs" for n in en["sizes"]], dict(en["seconds"]), "s")
    engine_ax.set_title(f"Parquet, {en['sizes'][-1]:,} runs: DuckDB engine "
                        f"{keys['duckdb_speedup_vs_python']:.0f}x faster than Python engine",
                        fontsize=10, pad=26)
    engine_ax.set_xlabel(f"seconds, {en['filters']} filters end to end (lower is better)", fontsize=8)

    tr = results["tree"]
    sizes, secs = tr["sizes"], tr["seconds"]
    tree_ax.plot(sizes, secs, "o-", color=_COLORS["filterql"], label="select(tree_filter=...)")
    tree_ax.plot(sizes, [secs[0], secs[0] * sizes[1] / sizes[0]], "--", color="#9ca3af", label="linear")
    tree_ax.set_title(f"tree_filter: {keys['tree_filter_growth_2x']:.2f}x time for 2x data", fontsize=10, pad=16)
    tree_ax.set_xlabel("runs", fontsize=8)
    tree_ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda x, _: f"{x:,.0f}"))
    tree_ax.set_ylabel("seconds", fontsize=8)
    tree_ax.set_ylim(0, max(secs) * 1.25)
    tree_ax.set_xlim(0, sizes[1] * 1.1)
    tree_ax.legend(fontsize=7, frameon=False, loc="upper left")
    tree_ax.tick_params(labelsize=8)

    for ax in axes.flat:
        ax.tick_params(axis="x", labelsize=7)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    info = results["machine"]
    fig.suptitle(f"filterql benchmarks ({results['mode']} run, {info['date']}, {info['cpus']} CPUs, "
                 f"Python {info['python']})", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)
