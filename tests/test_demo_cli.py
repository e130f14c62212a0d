"""The README's promise: pipe a conversation into `itabot demo`, then see it in `itabot summary`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TODAY = "2026-02-10"


def itabot(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """Run the CLI as a new process, as a user would."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], input=stdin, capture_output=True, text=True, cwd=ROOT, env=env, timeout=120
    )


def conversation(text: str, evidence: Path) -> str:
    """Report measure 3 (สำนักปลัด) as done with a text, a link and a file."""
    return "\n".join(
        ["/report", "3", "ดำเนินการ", text, "/skip", "https://example.go.th/order", str(evidence), "/done", "บันทึก", ""]
    )


def test_piped_demo_reports_and_summary_shows_it_persisted(tmp_path: Path) -> None:
    data = tmp_path / "data"
    evidence = tmp_path / "คำสั่ง.pdf"
    evidence.write_bytes(b"%PDF-1.4 order")
    first = itabot("demo", "--data-dir", str(data), "--today", TODAY, stdin=conversation("ออกคำสั่งมอบหมายงานแล้ว", evidence))
    assert first.returncode == 0, first.stderr
    assert "สร้างหน่วยงานและแผนตัวอย่างแล้ว" in first.stdout
    assert "รับหลักฐานแล้ว: คำสั่ง.pdf (รวม 2 รายการ)" in first.stdout
    assert "บันทึกแล้ว ✅" in first.stdout

    summary = itabot("summary", "--format", "text", "--data-dir", str(data), "--today", TODAY)
    assert summary.returncode == 0, summary.stderr
    line = next(x for x in summary.stdout.splitlines() if x.startswith(("☑ 3.", "☐ 3.")))
    assert line.startswith("☑ 3.")
    assert "ออกคำสั่งมอบหมายงานแล้ว" in summary.stdout

    # a second run on the same directory: the plan and the report are still there
    again = itabot("demo", "--data-dir", str(data), "--today", TODAY, stdin="/status\n")
    assert again.returncode == 0 and "สร้างหน่วยงาน" not in again.stdout
    assert "ยังไม่ได้รายงาน 9 มาตรการ" in again.stdout

    second = itabot("demo", "--data-dir", str(data), "--today", TODAY, stdin=conversation("ปรับปรุงคำสั่งฉบับใหม่", evidence))
    assert "ครั้งที่ 2" in second.stdout
    newest = itabot("summary", "--data-dir", str(data), "--today", TODAY).stdout
    assert "ปรับปรุงคำสั่งฉบับใหม่" in newest and "ออกคำสั่งมอบหมายงานแล้ว" not in newest


def test_demo_exits_cleanly_on_empty_input_and_help_lists_commands(tmp_path: Path) -> None:
    result = itabot("demo", "--data-dir", str(tmp_path / "d"), stdin="")
    assert result.returncode == 0
    helptext = itabot("--help").stdout
    for name in ("demo", "import", "plan", "template", "invite", "officers", "summary", "backup"):
        assert f"    {name}" in helptext
