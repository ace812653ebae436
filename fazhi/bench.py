"""`python -m fazhi bench`: build a synthetic database in a temporary folder and measure what users wait for.

Every figure is measured in this run on this machine, and beside each one a baseline measured in the same
run (a bare DuckDB scan, the same template rendered from a precomputed context, …) so that ratios hold on
a noisy machine. Targets come from the issues; a figure over its target is marked, never hidden.

Over 400 lines because it is one step per figure of the README's 性能 table, each with its baseline.
"""

from __future__ import annotations

import gc
import platform
import resource
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

from fazhi import auth, db, indicators, ledger, measures, records, sample, sessions, validation
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
    record_count: int = 0
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


def build(folder: Path, catalog: Catalog, record_count: int, unit_count: int, year_count: int) -> Context:
    """Create the synthetic database and measure the bulk insert rate (validation included)."""
    database = db.connect(folder / "bench.duckdb")
    townships = max(1, round((unit_count - 1) / 5))
    units = sample.synthetic_units(database, townships=townships, villages_per_township=4)
    last = date.today().year
    years = list(range(last - year_count + 1, last + 1))
    items = sample.synthetic_records(catalog, units, years, record_count)
    context = Context(database, catalog, units, years, folder, record_count)
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
        item = validation.RecordInput(
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
    """The floor under the indicators: the same records (this year and last, the unit's subtree) with their
    field values read and summed per type and field, in one plain query."""
    year = context.years[-1]

    def scan() -> None:
        context.database.rows(
            "SELECT r.type_code, v.field_code, year(r.start_on), count(*), sum(v.num_value)"
            " FROM records r JOIN units u ON u.id = r.unit_id"
            " LEFT JOIN record_values v ON v.record_id = r.id"
            " WHERE NOT r.is_deleted AND u.path LIKE ? AND r.start_on BETWEEN ? AND ? GROUP BY 1, 2, 3",
            [unit.path + "%", date(year - 1, 1, 1), date(year, 12, 31)],
        )

    return warm_median(scan)


def _village_save(context: Context, database: db.Database | None = None) -> Callable[[], Any]:
    """A function saving one more record in a 村 of the first 乡镇, as a colleague does between two views
    (through `database`, the app's own connection when a page is timed)."""
    village = next(u for u in context.units if u.level == "village")
    user = auth.system_user("bench")
    item = validation.RecordInput(
        "market_day", village.id, "赶场日宣传", date(context.years[-1], 6, 1), None, "", "", {"materials": 5}
    )
    return lambda: records.add_record(database or context.database, user, context.catalog, item)


def _median_after(prepare: Callable[[], Any], function: Callable[[], Any], repeat: int = 7) -> float:
    """Median seconds of `function` over `repeat` calls, each right after an untimed `prepare`."""
    times = []
    for _ in range(repeat):
        prepare()
        times.extend(timed(function))
    return statistics.median(times)


def step_indicators(context: Context) -> None:
    """All indicators for one 乡镇-year and for the whole 区县: the first view (no kept parts, every record
    read) against a bare scan of the same rows, and the 区县 right after a colleague saved in one 村 (only
    that 村's own records read again, and only the totals on its path added up again, fazhi/measures.py)
    against the first view."""
    user = auth.system_user("bench")
    year = context.years[-1]
    first: dict[str, float] = {}
    for label, unit, target in (
        ("全部指标：一个乡镇一年（首次）", context.township, 200),
        ("全部指标：整个区县一年（首次）", context.county, 500),
    ):
        table = partial(indicators.indicator_table, context.database, user, context.catalog, unit, year)
        first[unit.level] = _median_after(lambda: measures.forget(context.database), table)
        context.figures.append(
            Figure(
                label,
                first[unit.level] * 1000,
                "ms",
                target,
                _bare_scan(context, unit) * 1000,
                "同范围裸扫描 records + record_values",
            )
        )
    table = partial(indicators.indicator_table, context.database, user, context.catalog, context.county, year)
    table()
    context.figures.append(
        Figure(
            "全部指标：整个区县一年（一个村刚保存后）",
            _median_after(_village_save(context), table) * 1000,
            "ms",
            200,
            first["county"] * 1000,
            "同区县首次计算",
            "只重读该村一年的记录",
        )
    )


def step_dashboard(context: Context) -> None:
    """The dashboard's data for the whole 区县, and the 看板 page's script run as a browser session runs it."""
    from fazhi import dashboard

    user = auth.system_user("bench")
    year = context.years[-1]
    seconds = warm_median(
        lambda: dashboard.dashboard_data(context.database, user, context.catalog, context.county, year)
    )
    context.figures.append(Figure("看板数据：整个区县一年", seconds * 1000, "ms"))
    cached, fresh = _page_runs(context, "pages/dashboard.py", year)
    context.figures.append(
        Figure(
            "看板页面运行：一个村刚保存后",
            fresh * 1000,
            "ms",
            1000,
            cached * 1000,
            "同页数据已缓存时",
            "AppTest 计时，含其开销",
        )
    )


def _page_runs(context: Context, page: str, year: int) -> tuple[float, float]:
    """Median seconds of a page's script run with its data cached, and right after the data changed."""
    import logging
    import os

    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.testing.v1 import AppTest

    logging.getLogger("streamlit").setLevel(logging.ERROR)  # AppTest's bare-mode warnings are not figures

    from fazhi.settings import PROJECT_DIR
    from fazhi.ui import session

    admin = auth.create_user(
        context.database,
        auth.system_user("bench"),
        f"bench{time.monotonic_ns()}",
        "bench-password-1",
        "admin",
        context.county.id,
    )
    saved = {k: os.environ.get(k) for k in ("FAZHI_DB", "FAZHI_AUTO_BACKUP")}
    os.environ.update(FAZHI_DB=str(context.database.path), FAZHI_AUTO_BACKUP="0")
    original = PagesManager.__init__

    def v2_navigation(self: PagesManager, *args: Any, **kwargs: Any) -> None:  # as after a server's first run
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    PagesManager.__init__ = v2_navigation  # type: ignore[method-assign]
    try:
        app = AppTest.from_file(str(PROJECT_DIR / "app.py"), default_timeout=120)
        app.session_state[session.USER_KEY] = admin.id
        app.session_state[session.SESSION_KEY] = sessions.start(context.database, admin)[0]
        app.session_state[session.UNIT_KEY] = context.county.id
        app.session_state[session.YEAR_KEY] = year
        app.run()
        app.switch_page(page).run()

        def run() -> None:
            app.run()

        cached = warm_median(run, 5)

        fresh = _median_after(_village_save(context, db.shared(context.database.path)), run, 5)
        assert not app.exception, app.exception
    finally:
        # the saves went through the app's connection, whose versions this one does not see
        measures.forget(context.database)
        PagesManager.__init__ = original  # type: ignore[method-assign]
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return cached, fresh


def step_report(context: Context) -> None:
    """One 乡镇-year with 1,000 records, inside the real-size file (a 乡镇 added to the synthetic 区县): the
    report without and with charts (medians), against rendering the same template from a precomputed
    context."""
    from fazhi.errors import ChartsUnavailable
    from fazhi.report.generate import timings
    from fazhi.units import insert_unit

    database = context.database
    year = context.years[-1]
    with database.transaction() as cur:
        township = insert_unit(cur, "报告测试乡", "township", context.county, sort_order=999)
        made = [township] + [
            insert_unit(cur, f"报告测试乡{v}村", "village", township, sort_order=v) for v in range(1, 5)
        ]
    records.import_records(
        database,
        auth.system_user("bench"),
        context.catalog,
        sample.synthetic_records(context.catalog, made, [year], 1000, seed=11),
    )
    try:
        t = timings(database, auth.system_user("bench"), context.catalog, township, year)
    except ChartsUnavailable as error:
        context.figures.append(
            Figure("年度报告（含图表）", float("nan"), "ms", note=f"未测：{error.message}")
        )
        return
    render_ms = t["render"] * 1000
    context.figures += [
        Figure(
            "年度报告：组织数据 build_context",
            t["build_context"] * 1000,
            "ms",
            None,
            render_ms,
            "同模板由现成数据渲染",
        ),
        Figure(
            "年度报告（不含图表）",
            t["report_without_charts"] * 1000,
            "ms",
            1000,
            render_ms,
            "同模板由现成数据渲染",
            "1000 条记录的乡镇一年，在整个数据库中，中位数",
        ),
        Figure(
            "年度报告（含图表，数据未变时图片复用）",
            t["report_with_charts"] * 1000,
            "ms",
            1500,
            render_ms,
            "同模板由现成数据渲染",
        ),
        Figure("图表图片：每张", t["images_per_chart"] * 1000, "ms", note="kaleido + 系统 Chromium，已预热"),
    ]


ROWS = 10_000


class _Discard(Exception):
    """Raised inside a transaction to roll back a write made only to time it."""


def step_transfer(context: Context) -> None:
    """Export 10,000 records to xlsx, and import that file into an empty database with the same units."""
    from fazhi import transfer

    user = auth.system_user("bench")
    year = context.years[-1]
    ids = [
        row[0]
        for row in context.database.rows(
            "SELECT id FROM records WHERE year(start_on) = ? AND NOT is_deleted ORDER BY id LIMIT ?",
            [year, ROWS],
        )
    ]
    filters = ledger.RecordFilter(ids=ids)
    query = warm_median(lambda: ledger.list_records(context.database, user, context.catalog, filters), 3)
    workbook = b""

    def export() -> None:
        nonlocal workbook
        workbook = transfer.export_xlsx(context.database, user, context.catalog, filters)

    exported = warm_median(export, 3)
    context.figures.append(
        Figure(
            f"导出 {len(ids)} 条到 Excel",
            exported * 1000,
            "ms",
            None,
            query * 1000,
            "同范围查询 list_records",
        )
    )
    # Into a copy of the whole file, as an office imports into a year that already holds its records: every
    # row is then a suspected duplicate of one already there (checked against them), imported anyway.
    context.database.checkpoint()
    shutil.copy(context.database.path, context.folder / "import.duckdb")
    target = db.connect(context.folder / "import.duckdb")
    try:
        start = time.perf_counter()
        plan = transfer.preview(target, user, context.catalog, "bench.xlsx", workbook, year=year)
        result = transfer.run(target, user, context.catalog, plan, include_duplicates=True)
        imported = time.perf_counter() - start
        assert len(result.ids) == len(ids), plan.problems[:3]
        items = plan.items(True)
        try:
            with target.transaction() as cur:
                start = time.perf_counter()
                records.insert_many(cur, user, items, audited=False)
                bare = time.perf_counter() - start
                raise _Discard  # roll the bare write back: it is only the baseline
        except _Discard:
            pass
    finally:
        target.close()
    context.figures.append(
        Figure(
            f"从 Excel 导入 {len(ids)} 条",
            imported * 1000,
            "ms",
            10_000,
            bare * 1000,
            "同数据裸写入 insert_many",
            f"读取、逐行检查、查重、写入、审计；导入已有 {context.record_count} 条记录的文件",
        )
    )
    context.figures.extend(_beside_an_import(context, user, workbook, year))


def _beside_an_import(context: Context, user: Any, workbook: bytes, year: int) -> list[Figure]:
    """A colleague's 区县 看板 data (parts dropped, so it computes) while someone's 10,000-row file is read
    and checked: with the reading in the worker process, as the server runs it, and in this process (as
    the command line does), beside the same computation on a quiet server."""
    from fazhi import dashboard, transfer, worker

    def colleague() -> None:
        measures.forget(context.database)
        dashboard.dashboard_data(context.database, user, context.catalog, context.county, year)

    quiet = warm_median(colleague, 5)

    def during(in_worker: bool) -> float:
        if in_worker:
            worker.start(warm=False)
        done = threading.Event()

        def read() -> None:
            try:
                transfer.preview(context.database, user, context.catalog, "bench.xlsx", workbook, year=year)
            finally:
                done.set()

        reader = threading.Thread(target=read)
        times: list[float] = []
        try:
            reader.start()
            while not done.is_set() or not times:
                times += timed(colleague)
            reader.join()
        finally:
            worker.stop()
        return statistics.median(times)

    in_worker, here = during(True), during(False)
    return [
        Figure(
            "导入读取期间同事的区县看板数据",
            in_worker * 1000,
            "ms",
            None,
            quiet * 1000,
            "无人导入时",
            f"读取和逐行检查在工作进程中；若在本进程中为 {here * 1000:.0f} ms",
        )
    ]


STEPS: list[Callable[[Context], None]] = [
    step_single_save,
    step_indicators,
    step_dashboard,
    step_report,
    step_transfer,
]


def run(record_count: int = 200_000, unit_count: int = 50, year_count: int = 5) -> dict[str, Any]:
    """Build the synthetic database, run every step, and return the figures with the machine they ran on."""
    catalog = load_catalog()
    # The garbage collector stays on, as in production; each step starts from a collected heap.
    with tempfile.TemporaryDirectory(prefix="fazhi-bench-") as folder:
        context = build(Path(folder), catalog, record_count, unit_count, year_count)
        try:
            for step in STEPS:
                gc.collect()
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
