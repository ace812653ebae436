"""`python -m fazhi bench`: build a synthetic database in a temporary folder and measure what users wait for.

Every figure is measured in this run on this machine, and beside each one a baseline measured in the same
run (a bare DuckDB scan, the same template rendered from a precomputed context, …) so that ratios hold on
a noisy machine. Targets come from the issues; a figure over its target is marked, never hidden.
"""

from __future__ import annotations

import gc
import platform
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from fazhi import auth, db, indicators, records, sample
from fazhi.catalog import Catalog, load_catalog
from fazhi.units import Unit


@dataclass
class Figure:
    """One measured figure, with its target and a same-run baseline where there is one."""

    name: str
    value: float
    unit: str
    target: float | None = None
    baseline: float | None = None
    baseline_name: str = ""
    note: str = ""

    @property
    def ratio(self) -> float | None:
        """value ÷ baseline, when a baseline was measured."""
        return self.value / self.baseline if self.baseline else None

    @property
    def meets_target(self) -> bool | None:
        """True/False against the target (smaller is better unless the unit is a rate), None without one."""
        if self.target is None:
            return None
        return self.value >= self.target if self.unit.endswith("/s") else self.value <= self.target


@dataclass
class Context:
    """What the steps share: the database, the catalog, the synthetic units and years."""

    database: db.Database
    catalog: Catalog
    units: list[Unit]
    years: list[int]
    folder: Path
    figures: list[Figure] = field(default_factory=list)

    @property
    def county(self) -> Unit:
        return self.units[0]

    @property
    def township(self) -> Unit:
        return next(u for u in self.units if u.level == "township")


def timed(function: Callable[[], Any], repeat: int = 1) -> list[float]:
    """Wall-clock seconds of each of `repeat` calls."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return times


def warm_median(function: Callable[[], Any], repeat: int = 7) -> float:
    """Median seconds over `repeat` calls after one warm-up call."""
    function()
    return statistics.median(timed(function, repeat))


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of the sorted values fall (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def peak_rss_mb() -> float:
    """Peak resident memory of this process in MB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform != "darwin" else peak / 1024 / 1024


@contextmanager
def _quiet_gc() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def build(folder: Path, catalog: Catalog, record_count: int, unit_count: int, year_count: int) -> Context:
    """Create the synthetic database and measure the bulk insert rate (validation included)."""
    database = db.connect(folder / "bench.duckdb")
    townships = max(1, round((unit_count - 1) / 5))
    units = sample.synthetic_units(database, townships=townships, villages_per_township=4)
    last = date.today().year
    years = list(range(last - year_count + 1, last + 1))
    items = sample.synthetic_records(catalog, units, years, record_count)
    context = Context(database, catalog, units, years, folder)
    start = time.perf_counter()
    for chunk_start in range(0, len(items), 50_000):
        records.import_records(
            database, auth.system_user("bench"), catalog, items[chunk_start : chunk_start + 50_000]
        )
    elapsed = time.perf_counter() - start
    context.figures.append(
        Figure(
            "批量导入（含校验）",
            record_count / elapsed,
            "条/s",
            note=f"{record_count} 条记录，{len(units)} 个单位，{year_count} 年，共 {elapsed:.1f} s",
        )
    )
    database.checkpoint()
    return context


def step_single_save(context: Context) -> None:
    """Latency of one save through the function the entry form uses."""
    user = auth.system_user("bench")
    unit = context.units[-1]
    year = context.years[-1]
    latencies = []
    for n in range(200):
        item = records.RecordInput(
            "market_day",
            unit.id,
            f"单条保存测试{n}",
            date(year, 3, 15),
            None,
            "市场",
            "",
            {"consultations": 10, "materials": 100, "banners": 2},
        )
        start = time.perf_counter()
        records.add_record(context.database, user, context.catalog, item)
        latencies.append(time.perf_counter() - start)
    context.figures.append(Figure("单条保存 p50", percentile(latencies, 0.5) * 1000, "ms"))
    context.figures.append(Figure("单条保存 p95", percentile(latencies, 0.95) * 1000, "ms"))


def _bare_scan(context: Context, unit: Unit) -> float:
    year = context.years[-1]

    def scan() -> None:
        context.database.rows(
            "SELECT r.type_code, count(*) FROM records r JOIN units u ON u.id = r.unit_id"
            " WHERE u.path LIKE ? AND r.start_on BETWEEN ? AND ? GROUP BY 1",
            [unit.path + "%", date(year - 1, 1, 1), date(year, 12, 31)],
        )

    return warm_median(scan)


def step_indicators(context: Context) -> None:
    """All indicators for one 乡镇-year and for the whole 区县, against a bare scan of the same rows."""
    user = auth.system_user("bench")
    year = context.years[-1]
    for label, unit, target in (
        ("全部指标：一个乡镇一年", context.township, 200),
        ("全部指标：整个区县一年", context.county, 500),
    ):
        seconds = warm_median(
            lambda u=unit: indicators.indicator_table(context.database, user, context.catalog, u, year)
        )
        context.figures.append(
            Figure(
                label, seconds * 1000, "ms", target, _bare_scan(context, unit) * 1000, "同范围裸扫描 records"
            )
        )


STEPS: list[Callable[[Context], None]] = [step_single_save, step_indicators]


def run(record_count: int = 200_000, unit_count: int = 50, year_count: int = 5) -> dict[str, Any]:
    """Build the synthetic database, run every step, and return the figures with the machine they ran on."""
    catalog = load_catalog()
    with tempfile.TemporaryDirectory(prefix="fazhi-bench-") as folder, _quiet_gc():
        context = build(Path(folder), catalog, record_count, unit_count, year_count)
        try:
            for step in STEPS:
                step(context)
        finally:
            context.database.close()
        context.figures.append(Figure("内存峰值 (RSS)", peak_rss_mb(), "MB"))
        figures = context.figures
    return {
        "machine": machine(),
        "parameters": {"records": record_count, "units": unit_count, "years": year_count},
        "figures": [{**asdict(f), "ratio": f.ratio, "meets_target": f.meets_target} for f in figures],
    }


def machine() -> dict[str, Any]:
    """Where the figures came from."""
    import os

    import duckdb

    return {
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
        "date": date.today().isoformat(),
    }


def format_table(result: dict[str, Any]) -> str:
    """The figures as a plain-text table, with a line per target saying whether it was met."""
    lines = [
        f"基准测试：{result['parameters']['records']} 条记录 / {result['parameters']['units']} 个单位 / "
        f"{result['parameters']['years']} 年；{result['machine']['cpus']} 核，Python {result['machine']['python']}，"
        f"DuckDB {result['machine']['duckdb']}，{result['machine']['date']}",
        "",
        f"{'项目':<22}{'数值':>12}  {'目标':>10}  {'基线':>10}  {'比值':>7}  说明",
    ]
    for f in result["figures"]:
        target = (
            ""
            if f["target"] is None
            else f"≤{f['target']:g}"
            if not f["unit"].endswith("/s")
            else f"≥{f['target']:g}"
        )
        verdict = {True: " ✓", False: " ✗ 未达标", None: ""}[f["meets_target"]]
        baseline = "" if f["baseline"] is None else f"{f['baseline']:.1f}"
        ratio = "" if f["ratio"] is None else f"{f['ratio']:.1f}×"
        note = " · ".join(x for x in (f["baseline_name"], f["note"]) if x)
        lines.append(
            f"{f['name']:<22}{f['value']:>10.1f} {f['unit']:<4}{target:>8}{verdict}  {baseline:>10}  {ratio:>7}  {note}"
        )
    return "\n".join(lines)
