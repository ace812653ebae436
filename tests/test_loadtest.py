"""python -m fazhi loadtest: the real server under browser-protocol sessions (tiny sizes here; figures are
printed, never asserted as times)."""

from __future__ import annotations

import json
import math

import pytest

from fazhi import loadtest
from fazhi.__main__ import main
from tests.backends import server_url


@pytest.mark.slow
def test_two_users_get_every_answer_without_an_exception(capsys: pytest.CaptureFixture[str]) -> None:
    """And a third session downloads the Word report meanwhile (--report), twice."""
    argv = ["loadtest", "--users", "2", "--records", "1000", "--units", "6", "--years", "2", "--report"]
    assert main([*argv, "--think", "0.2", "--cycles", "1", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["parameters"] == {
        "records": 1000,
        "units": 6,
        "years": 2,
        "think_seconds": 0.2,
        "jitter": 0.5,
        "cycles": 1,
        "report": True,
    }
    (stage,) = result["stages"]
    assert stage["users"] == 2
    assert stage["problems"] == [], result["server_log_tail"]
    assert list(stage["interactions"]) == list(loadtest.INTERACTIONS)
    for name, figures in stage["interactions"].items():
        assert figures["count"] == 2, name  # each user did each step once, and each got its answer
        assert 0 < figures["p50"] <= figures["p95"] < 120, name
    assert stage["all"]["count"] == 2 * len(loadtest.INTERACTIONS)  # the report's downloads are apart
    assert stage["report"]["count"] == 2
    assert 0 < stage["report"]["p50"] <= stage["report"]["p95"] < 120
    assert math.isfinite(stage["server_cpu_cores"]) and stage["server_cpu_cores"] > 0
    assert stage["server_cpu_ms_per_interaction"] > 0
    assert stage["server_rss_peak_mb"] > 50
    assert result["server_log_tail"] == []


def test_the_table_has_a_row_per_stage_and_the_single_user_ratio() -> None:
    figures = {name: {"count": 1, "p50": 0.2, "p95": 0.4} for name in loadtest.INTERACTIONS}
    stage = {
        "interactions": figures,
        "server_cpu_cores": 0.5,
        "server_cpu_ms_per_interaction": 120.0,
        "server_rss_peak_mb": 200.0,
        "client_cpu_cores": 0.1,
        "load_average": [1.0, 1.5],
        "problems": [],
        "wall_seconds": 35.0,
    }
    result = {
        "parameters": {
            "records": 1000,
            "units": 6,
            "years": 2,
            "think_seconds": 10,
            "jitter": 0.5,
            "cycles": 2,
        },
        "machine": {"cpus": 2, "python": "3.11", "date": "2026-12-02"},
        "server_idle_rss_mb": 70.0,
        "stages": [
            {**stage, "users": 1, "all": {"count": 7, "p50": 0.2, "p95": 0.4}},
            {**stage, "users": 10, "all": {"count": 70, "p50": 0.3, "p95": 1.2}},
        ],
        "server_log_tail": [],
    }
    lines = loadtest.format_table(result).splitlines()
    assert lines[3].split()[:5] == ["1", "0.20s", "0.40s", "1.0×", "0.20"]  # 7 answers in 35 s
    assert lines[4].split()[:5] == ["10", "0.30s", "1.20s", "3.0×", "2.00"]
    assert "120 ms" in lines[4]


def test_user_counts_are_checked(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["loadtest", "--users", "1,x"]) == 2
    assert "--users" in capsys.readouterr().err
    assert main(["bench", "--users", "0"]) == 2


def _stage(users: int, p95: float, count: int, wall: float, problems: int = 0) -> dict:
    return {
        "users": users,
        "all": {"count": count, "p50": p95 / 2, "p95": p95},
        "wall_seconds": wall,
        "problems": [{"interaction": "看板", "problem": "x"}] * problems,
    }


def test_capacity_is_the_busiest_stage_within_the_target_without_problems() -> None:
    stages = [_stage(1, 0.4, 14, 70), _stage(20, 1.1, 280, 70), _stage(40, 1.4, 560, 80, problems=1)]
    stages.append(_stage(60, 3.0, 840, 90))
    assert loadtest.capacity(stages) == {"users": 20, "p95": 1.1, "throughput": 4.0}
    assert loadtest.capacity([_stage(40, 1.6, 560, 80)]) is None


def test_compare_gives_the_throughput_ratio_at_the_same_target() -> None:
    single = [_stage(1, 0.4, 14, 70), _stage(20, 1.2, 280, 70), _stage(40, 9.0, 560, 100)]
    several = [_stage(1, 0.4, 14, 70), _stage(20, 0.8, 280, 70), _stage(40, 1.3, 560, 80)]
    figures = loadtest.compare(single, several)
    assert figures["single"] == {"users": 20, "p95": 1.2, "throughput": 4.0}
    assert figures["several"] == {"users": 40, "p95": 1.3, "throughput": 7.0}
    assert figures["throughput_ratio"] == 1.75
    assert loadtest.compare([_stage(40, 2.0, 1, 1)], several)["throughput_ratio"] is None
    line = loadtest._comparison(figures, 2)
    assert "一个进程最多 20 人" in line and "2 个进程最多 40 人" in line and "1.75 倍" in line
    unmatched = loadtest._comparison(loadtest.compare([_stage(40, 2.0, 1, 1)], several), 2)
    assert unmatched.endswith(
        "一个进程没有一组在目标之内；2 个进程最多 40 人（p95 1.30 秒，每秒 7.00 次操作）；无法比较吞吐量（至少一方没有一组在目标之内）。"
    )


@pytest.mark.slow
def test_two_processes_behind_caddy_answer_every_interaction(capsys: pytest.CaptureFixture[str]) -> None:
    """--processes 2: the same data copied into PostgreSQL, two app processes behind Caddy, every step
    answered without a problem, and the comparison printed."""
    argv = ["loadtest", "--users", "2", "--records", "1000", "--units", "6", "--years", "2", "--report"]
    argv += ["--think", "0.2", "--cycles", "1", "--processes", "2", "--postgres", server_url()]
    assert main([*argv, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["cluster"]["processes"] == 2 and result["cluster"]["backend"] == "postgres"
    (stage,) = result["cluster"]["stages"]
    assert stage["problems"] == [], result["server_log_tail"]
    for name, figures in stage["interactions"].items():
        assert figures["count"] == 2, name
    assert stage["report"]["count"] == 2  # the downloads reach the process of their page (sticky cookie)
    assert stage["server_rss_peak_mb"] > 100  # two processes
    assert set(result["compare"]) == {"target_p95", "single", "several", "throughput_ratio"}
