"""python -m fazhi loadtest: the real server under browser-protocol sessions (tiny sizes here; figures are
printed, never asserted as times)."""

from __future__ import annotations

import json
import math

import pytest

from fazhi import loadtest
from fazhi.__main__ import main


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
    assert lines[3].split()[:4] == ["1", "0.20s", "0.40s", "1.0×"]
    assert lines[4].split()[:4] == ["10", "0.30s", "1.20s", "3.0×"]
    assert "120 ms" in lines[4]


def test_user_counts_are_checked(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["loadtest", "--users", "1,x"]) == 2
    assert "--users" in capsys.readouterr().err
    assert main(["bench", "--users", "0"]) == 2
