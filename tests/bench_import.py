"""Ad hoc timing of the 10,000-row import and export (not a test; pytest does not collect it).

Run: python -m tests.bench_import   — prints seconds for xlsx export, xlsx import and a GBK CSV import of
10,000 synthetic records into an empty database with the same units. The lead's benchmark may adopt it.
"""

from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path

from fazhi import auth, db, records, sample, transfer
from fazhi.catalog import load_catalog
from fazhi.units import all_units, insert_unit

ROWS = 10_000


def _copy_units(source: db.Database, path: Path) -> db.Database:
    target = db.connect(path)
    with target.transaction() as cur:
        made: dict[int, object] = {}
        for unit in all_units(source):
            made[unit.id] = insert_unit(cur, unit.name, unit.level, made.get(unit.parent_id))
    return target


def _import(label: str, target: db.Database, name: str, data: bytes, **options) -> None:
    user, catalog = auth.system_user(), load_catalog()
    started = time.perf_counter()
    plan = transfer.preview(target, user, catalog, name, data, **options)
    checked = time.perf_counter()
    result = transfer.run(target, user, catalog, plan)
    done = time.perf_counter()
    assert not plan.problems and len(result.ids) == ROWS, plan.problems[:3]
    print(
        f"{label}: {ROWS} 行，检查 {checked - started:.2f} s，写入 {done - checked:.2f} s，共 {done - started:.2f} s"
    )


def main() -> None:
    catalog, user = load_catalog(), auth.system_user()
    folder = Path(tempfile.mkdtemp(prefix="fazhi-bench-"))
    source = db.connect(folder / "source.duckdb")
    units = sample.synthetic_units(source, 10, 4)
    with source.transaction() as cur:
        records.insert_many(cur, user, sample.synthetic_records(catalog, units, [2021], ROWS))
    started = time.perf_counter()
    workbook = transfer.export_xlsx(source, user, catalog, records.RecordFilter())
    print(f"导出 xlsx：{ROWS} 条，{time.perf_counter() - started:.2f} s，{len(workbook) / 1e6:.1f} MB")
    _import(
        "导入 xlsx（全部类型）", _copy_units(source, folder / "xlsx.duckdb"), "all.xlsx", workbook, year=2021
    )

    rng = random.Random(7)
    names = [u.name for u in units if u.level != "county"]
    lines = [
        "单位,标题,开始日期,结束日期,地点,情况说明,解答法律咨询（人次）,发放宣传资料（份）,悬挂横幅（幅）"
    ]
    for n in range(ROWS):
        day = f"2021/{rng.randint(1, 12)}/{rng.randint(1, 28)}"
        counts = f"{rng.randint(0, 200)},{rng.randint(0, 3000)},{rng.randint(0, 20)}"
        lines.append(f"{rng.choice(names)},赶场日宣传第{n}场,{day},,农贸市场,自动生成,{counts}")
    gbk = ("\r\n".join(lines) + "\r\n").encode("gbk")
    target = _copy_units(source, folder / "csv.duckdb")
    _import("导入 GBK CSV（一种类型）", target, "gbk.csv", gbk, year=2021, type_code="market_day")


if __name__ == "__main__":
    main()
