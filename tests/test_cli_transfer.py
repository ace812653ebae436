"""python -m fazhi export / import: the round trip, every row error printed, nothing written on error."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from fazhi import db, records
from fazhi.__main__ import main
from fazhi.catalog import Catalog
from tests.test_transfer import comparable, same_tree


@pytest.fixture
def demo_file(tmp_path: Path, templates: dict[str, Path]) -> Path:
    """A database file holding the demo: a copy of the run's template (tests/conftest.py), the same file
    `python -m fazhi demo` makes (tests/test_cli.py runs that command)."""
    path = tmp_path / "demo.duckdb"
    shutil.copy(templates["demo"], path)
    return path


@pytest.fixture
def empty_file(tmp_path: Path, demo_file: Path) -> Path:
    path = tmp_path / "empty.duckdb"
    with db.connect(demo_file) as source, db.connect(path) as target:
        same_tree(source, target)
    return path


def test_export_then_import_round_trips(
    demo_file: Path, empty_file: Path, tmp_path: Path, catalog: Catalog, capsys
) -> None:
    out = tmp_path / "台账.xlsx"
    assert main(["export", "--db", str(demo_file), "--out", str(out)]) == 0
    assert capsys.readouterr().out == f"已导出 89 条记录到 {out}。\n"
    assert main(["import", "--db", str(empty_file), str(out), "--dry-run"]) == 0
    assert (
        capsys.readouterr().out
        == "检查通过（试运行，未写入）：共89行记录，全部可以导入。将导入 89 条记录。\n"
    )
    with db.connect(empty_file) as target:
        assert records.record_count(target) == 0
    assert main(["import", "--db", str(empty_file), str(out)]) == 0
    assert capsys.readouterr().out == f"已导入 89 条记录，数据库 {empty_file}。\n"
    with db.connect(demo_file) as source, db.connect(empty_file) as target:
        pd.testing.assert_frame_equal(comparable(target, catalog), comparable(source, catalog))

    # a second import finds every row already there and needs a decision
    assert main(["import", "--db", str(empty_file), str(out)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 90
    assert err[0].startswith(
        "疑似重复：工作表“法治建设专题会议”第3行“党委会专题研究法治建设工作”与已有记录（编号 "
    )
    assert err[-1] == (
        "有89行疑似重复，没有导入任何记录。加 --skip-duplicates 跳过这些行、只导入其余的行，或加 --allow-duplicates 仍然全部导入。"
    )
    assert main(["import", "--db", str(empty_file), str(out), "--skip-duplicates"]) == 0
    assert capsys.readouterr().out == f"已导入 0 条记录，跳过 89 行疑似重复，数据库 {empty_file}。\n"


def test_export_filters_and_csv(demo_file: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "燕山乡.xlsx"
    assert (
        main(["export", "--db", str(demo_file), "--out", str(out), "--year", "2020", "--unit", "示例一村"])
        == 0
    )
    assert capsys.readouterr().out == f"已导出 2 条记录到 {out}。\n"
    csv = tmp_path / "援助.csv"
    assert main(["export", "--db", str(demo_file), "--out", str(csv), "--type", "法律援助"]) == 0
    assert capsys.readouterr().out == f"已导出 3 条记录到 {csv}。\n"
    assert csv.read_bytes().decode("utf-8-sig").splitlines()[0].startswith("记录类型,单位,标题")
    assert main(["export", "--db", str(demo_file), "--out", str(tmp_path / "all.csv")]) == 2
    assert (
        capsys.readouterr().err
        == "错误：一个 CSV 文件只能放一种记录类型：请用 --type 指定类型，或导出为 .xlsx。\n"
    )
    assert main(["export", "--db", str(demo_file), "--out", str(tmp_path / "x.txt")]) == 2
    assert capsys.readouterr().err == "错误：--out 的文件名应以 .xlsx 或 .csv 结尾。\n"


def test_a_bad_file_prints_every_row_error_and_writes_nothing(
    demo_file: Path, tmp_path: Path, capsys
) -> None:
    path = tmp_path / "有错.csv"
    path.write_bytes(
        "单位,标题,开始日期,解答法律咨询（人次）\r\n燕山乡,好,2020-03-15,5\r\n燕山乡,坏,2020-03-16,很多\r\n无此乡,坏,2021-01-01,1\r\n".encode(
            "gbk"
        )
    )
    assert (
        main(["import", "--db", str(demo_file), str(path), "--type", "赶场日集中宣传", "--year", "2020"]) == 1
    )
    assert capsys.readouterr().err.splitlines() == [
        "工作表“有错”第3行“解答法律咨询（人次）”列：“解答法律咨询”应为数字。",
        "工作表“有错”第4行“单位”列：找不到单位“无此乡”（只能导入您有权限的单位；单位须先在系统中建立）。",
        "工作表“有错”第4行“开始日期”列：“开始日期”须在2020年内（现为2021年1月1日）。",
        "有错.csv：共3行记录，3处问题（涉及2行），请改正后重新上传；改正前不会导入任何记录。",
    ]
    with db.connect(demo_file) as database:
        assert records.record_count(database) == 89
    (tmp_path / "图.xlsx").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 50)
    assert main(["import", "--db", str(demo_file), str(tmp_path / "图.xlsx")]) == 2
    assert capsys.readouterr().err == "错误：“图.xlsx”是 PDF 或图片，不是表格文件，无法导入。\n"
    assert main(["import", "--db", str(demo_file), str(tmp_path / "没有.xlsx")]) == 2
    assert capsys.readouterr().err.startswith("错误：无法读取 ")
