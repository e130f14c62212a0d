"""Smoke run of the cheap benchmarks with tiny sizes: they run end to end and their numbers are sane.

Benchmarks are not timed tests (make bench measures); this only proves `python -m bench` still works
against the current engine, adapter and storage, and that the measured conversations went as scripted.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bench import __main__ as bench_main
from bench import fanout, stall, storage_growth, telegram_throughput
from tests.pg import pg_bin_dir


@pytest.mark.backend("tinydb")  # benchmarks that seed and time TinyDB data directories
def test_storage_growth_tiny(tmp_path: Path) -> None:
    out = storage_growth.run(samples=3, sizes=(1, 3), work_dir=str(tmp_path))
    assert set(out["sizes"]) == {"1", "3"}
    for size in out["sizes"].values():
        for part in ("list", "write", "add_report"):
            assert size[part]["samples"] == 3
            assert 0 < size[part]["median_ms"] <= size[part]["p99_ms"]
        assert size["report_revisions_in_org"] > 400  # a full year really was written and read back
    assert out["storage_growth.ratio_200_to_1"] == max(out["ratios"]["list"], out["ratios"]["write"])
    assert not any(tmp_path.iterdir())  # temporary data removed


@pytest.mark.backend("tinydb")  # benchmarks that seed and time TinyDB data directories
def test_telegram_throughput_tiny_conversations_complete(tmp_path: Path) -> None:
    out = telegram_throughput.run(n_officers=3, measures=1, n_orgs=3, repeats=1, work_dir=str(tmp_path),
                                  postgresql=False)
    assert_every_update_answered(out)
    assert "postgresql" not in out


@pytest.mark.backend("postgresql")  # the benchmark's PostgreSQL half
def test_telegram_throughput_on_postgresql_tiny_conversations_complete(tmp_path: Path) -> None:
    pg_bin_dir()  # PostgreSQL's server tools: skipped on a bare machine, required under ITABOT_REQUIRE_TOOLS=1
    out = telegram_throughput.run(n_officers=3, measures=1, n_orgs=3, repeats=1, work_dir=str(tmp_path))
    assert_every_update_answered(out)
    assert_every_update_answered(out["postgresql"])
    assert "PgRepository" in out["postgresql"]["how"]
    assert out["telegram_throughput.ratio_to_bare_ptb_postgresql"] == out["postgresql"]["telegram_throughput.ratio_to_bare_ptb"]


def assert_every_update_answered(out: dict[str, Any]) -> None:
    expected = 3 * len(telegram_throughput.officer_script(1))
    for bot in ("ours", "bare_ptb_echo"):
        figures = out[bot]
        assert figures["updates"] == expected, figures
        assert figures["unexpected_replies"] == 0 and figures["timeouts"] == 0
        assert 0 < figures["latency_p50_ms"] <= figures["latency_p99_ms"]
        assert figures["cpu_ms_per_update"] > 0
    assert out["telegram_throughput.ratio_to_bare_ptb"] > 0 and out["cpu_ratio_to_bare_ptb"] > 0


def test_fanout_tiny_delivers_each_reminder_once() -> None:
    out = fanout.run(count=40, sequential_count=0)
    assert out["fanout.lost"] == 0
    assert out["fanout.duplicates"] == 0
    assert out["fanout.errors_429"] == 0
    assert 0 < out["messages_per_second"] <= 31  # the limiter keeps under the fake's 30/s cap


@pytest.mark.backend("tinydb")  # benchmarks that seed and time TinyDB data directories
def test_main_writes_results_and_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "results.json"
    code = bench_main.main(["--quick", "--only", "storage_growth", "--out", str(target), "--work-dir", str(tmp_path)])
    assert code == 0
    data = json.loads(target.read_text(encoding="utf-8"))
    assert data["quick"] is True
    assert isinstance(data["storage_growth.ratio_200_to_1"], float)
    sg = data["storage_growth"]
    assert sg["unit"] and sg["how"] and sg["date"] and sg["machine"]["cpus"]
    assert "telegram_throughput" not in data
    printed = capsys.readouterr().out
    assert "storage_growth.ratio_200_to_1" in printed and "not run" in printed


def test_main_rejects_unknown_benchmark(tmp_path: Path) -> None:
    assert bench_main.main(["--only", "nonsense", "--out", str(tmp_path / "r.json")]) == 2
    assert not (tmp_path / "r.json").exists()


def test_evidence_reuse_tiny_finds_every_near_copy() -> None:
    from bench import evidence_reuse

    out = evidence_reuse.run(stored=500, lookups=40)
    assert out["near_copies_found"] == "20/20"
    assert out["unrelated_flagged"] == 0
    assert out["evidence_reuse.lookup_ms_p99"] > 0


@pytest.mark.backend("tinydb")  # the stall benchmark seeds a TinyDB data directory
def test_stall_tiny_heavy_requests_complete_while_healthz_answers(tmp_path: Path) -> None:
    out = stall.run(depth=4, photos=5, work_dir=str(tmp_path))
    assert out["healthz_polls"] > 10 and isinstance(out["stall.healthz_p99_ms"], float)
    assert 0 < out["healthz_p50_ms"] <= out["stall.healthz_p99_ms"] <= out["healthz_max_ms"]
    # a rare /healthz with no answer at all (seen 1 in ~600 polls on 2 busy cores) is counted, not hidden
    assert out["healthz_failures"] == len(out["healthz_failure_reasons"]) or out["healthz_failures"] > 10
    heavy = out["heavy"]
    assert "พบมาตรการ 1 รายการ" in heavy["nested_docx"]["reply"]  # the innermost table was found
    assert "XFD1048576" in heavy["sparse_xlsx"]["reply"]  # refused with the cell named
    assert "รวม 53 มาตรการ" in heavy["summary_53"]["reply"]
    assert all(h["seconds"] > 0 for h in heavy.values())
    assert not any(tmp_path.iterdir())  # temporary data removed
