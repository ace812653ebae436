"""python -m fazhi bench runs end to end (small sizes here; figures are printed, never asserted as times)."""

from __future__ import annotations

import json
import math

import pytest

from fazhi.__main__ import main

EXPECTED = [
    "批量导入（含校验）",
    "单条保存 p50",
    "单条保存 p95",
    "全部指标：一个乡镇一年（首次）",
    "全部指标：整个区县一年（首次）",
    "全部指标：整个区县一年（一个村刚保存后）",
    "看板数据：整个区县一年",
    "看板页面运行：一个村刚保存后",
    "年度报告：组织数据 build_context",
    "年度报告（不含图表）",
    "年度报告（含图表，数据未变时图片复用）",
    "图表图片：每张",
]


@pytest.mark.slow
def test_bench_measures_every_figure(capsys) -> None:
    assert main(["bench", "--records", "2000", "--units", "11", "--years", "2", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    names = [f["name"] for f in result["figures"]]
    assert names[: len(EXPECTED)] == EXPECTED
    assert (
        names[-4].startswith("导出 ")
        and names[-3].startswith("从 Excel 导入 ")
        and names[-2] == "导入读取期间同事的区县看板数据"
        and names[-1] == "内存峰值 (RSS)"
    )
    for figure in result["figures"]:
        assert math.isfinite(figure["value"]) and figure["value"] > 0, figure
    baselined = {f["name"] for f in result["figures"] if f["baseline"]}
    assert {
        "全部指标：一个乡镇一年（首次）",
        "年度报告（不含图表）",
        "看板页面运行：一个村刚保存后",
        "导入读取期间同事的区县看板数据",
    } <= baselined
    assert result["parameters"] == {"records": 2000, "units": 11, "years": 2}
    assert result["machine"]["cpus"] >= 1


def test_bench_refuses_silly_sizes(capsys) -> None:
    assert main(["bench", "--records", "10"]) == 2
    assert "至少" in capsys.readouterr().err
