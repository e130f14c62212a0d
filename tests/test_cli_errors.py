"""Bad input on the command line: one clear line and a documented exit code, never a traceback."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.cli import main
from bot.commands.demo import ensure_demo
from bot.config import make_clock
from bot.wiring import build_services
from tests.tools import suite_backend

ROOT = Path(__file__).resolve().parent.parent
TODAY = "2026-02-10"


@pytest.fixture
def demo_dir(tmp_path: Path) -> Path:
    """A data directory (or on PostgreSQL the test's database) with the sample office and plan."""
    data = tmp_path / "demo" / "data"
    services = build_services(data, make_clock(TODAY))
    ensure_demo(services)
    services.close()
    return data


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """main() in this process; argparse's own usage errors end in SystemExit(2)."""
    try:
        code = main(argv)
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out + out.err


def _cases(data: Path, tmp: Path) -> list[tuple[list[str], int, str]]:
    afile = tmp / "afile"
    afile.write_text("x")
    bad_json = tmp / "damaged"
    (bad_json / "orgs" / "o1").mkdir(parents=True)
    (bad_json / "registry.json").write_text('{"orgs": {"1": {"id": "o1", "name": "x"}}', encoding="utf-8")
    empty_csv = tmp / "empty.csv"
    empty_csv.write_text("", encoding="utf-8")
    d = ["--data-dir", str(data)]
    return [
        (["plan", "--data-dir", str(afile)], 2, "เป็นไฟล์"),
        (["summary", *d, "--today", "2569-02-10"], 2, "ปี พ.ศ.? ใช้ ค.ศ. เช่น 2026-02-10"),
        (["summary", *d, "--today", "3112-02-10"], 2, "ปี พ.ศ.?"),
        (["summary", *d, "--today", "1999-12-31"], 2, "2000–2100"),
        (["summary", *d, "--today", "10/02/2026"], 2, "YYYY-MM-DD"),
        (["summary", *d, "--today", "2026-02-30"], 2, "YYYY-MM-DD"),
        (["summary", *d, "--now", "2026-03-26 25:00"], 2, "เวลาไม่ถูกต้อง"),
        (["summary", *d, "--now", "2026-03-26 10:00", "--today", "2026-03-27"], 2, "คนละวัน"),
        (["summary", *d, "--round", "5"], 2, "ไม่รู้จักรอบ \"5\" ใช้ได้: รอบ 3 เดือน"),
        (["nosuchcommand"], 2, "invalid choice"),
        (["backup", *d, "--out", "/proc/itabot-none/x.tar.gz"], 1, ""),
        (["template", "--format", "xlsx", "--out", "/proc/itabot-none/t.xlsx", *d], 1, "ทำไม่สำเร็จ"),
        (["template", "--format", "csv", "--out", str(tmp), *d], 1, ""),
        (["import", "/nonexistent/plan.csv", *d], 1, "/nonexistent/plan.csv"),
        (["import", str(tmp), *d], 1, ""),
        (["import", str(empty_csv), *d], 1, ""),
        (["summary", *d, "--today", TODAY, "--format", "docx", "--out", "/proc/itabot-none/r.docx"], 1, ""),
        (["schedule", *d, "--fiscal-year", "abc"], 2, "invalid int"),
        (["backup", "--data-dir", "/proc/self"], 1, "ตรวจสิทธิ์เขียน"),
        # a full disk (/dev/full answers every write with ENOSPC)
        (["backup", *d, "--out", "/dev/full"], 1, "ดิสก์เต็ม"),
        (["summary", *d, "--today", TODAY, "--out", "/dev/full"], 1, "ดิสก์เต็ม"),
        (["summary", *d, "--today", TODAY, "--format", "docx", "--out", "/dev/full"], 1, "ดิสก์เต็ม"),
        (["summary", *d, "--today", TODAY, "--format", "xlsx", "--out", "/dev/full"], 1, "ดิสก์เต็ม"),
        (["template", "--format", "csv", "--out", "/dev/full", *d], 1, "ดิสก์เต็ม"),
    ] + ([  # the store's own files (the PostgreSQL pass keeps the records in the database)
        (["demo", "--data-dir", "/proc/itabot-none/data"], 1, "ทำไม่สำเร็จ"),
        (["invite", "--data-dir", "/proc/itabot-none/data", "--unit", "1", "--role", "officer"], 1, ""),
        (["plan", "--data-dir", str(bad_json)], 3, "registry.json"),
        (["summary", "--data-dir", str(bad_json)], 3, "no backup found"),
        (["demo", "--data-dir", "/proc/self"], 1, "ปรับรูปแบบข้อมูลใน /proc/self ไม่ได้"),  # exists, unwritable
    ] if suite_backend() == "tinydb" else [
        (["demo", "--data-dir", "/proc/itabot-none/data"], 1, "เขียนโฟลเดอร์ข้อมูลไม่ได้"),
        (["demo", "--data-dir", "/proc/self"], 1, "เขียนโฟลเดอร์ข้อมูลไม่ได้"),  # exists, unwritable
    ])


def test_bad_input_matrix_gives_one_line_and_exit_code(
    demo_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = []
    wrong = []
    for argv, want, phrase in _cases(demo_dir, tmp_path):
        code, text = run(argv, capsys)
        outputs.append(text)
        if code != want or phrase not in text or "Traceback" in text or "ไม่คาดคิด" in text:
            wrong.append(f"{argv}: exit {code} (want {want}) {text[-300:]!r}")
    assert len(outputs) >= 20
    assert not wrong, "\n".join(wrong)
    assert not any("Traceback" in o for o in outputs)


def test_today_keeps_working_with_a_good_date(demo_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, text = run(["summary", "--data-dir", str(demo_dir), "--today", TODAY], capsys)
    assert code == 0 and "ปีงบประมาณ" in text


def _itabot(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], input=stdin, capture_output=True, text=True, cwd=ROOT, env=env, timeout=120
    )


def test_closed_pipe_and_end_of_input_end_quietly(demo_dir: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = f"{sys.executable} -m bot.cli plan --json --data-dir {demo_dir} | head -c 20"
    done = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr
    assert done.stdout.startswith("[")
    ended = _itabot("demo", "--data-dir", str(demo_dir), "--today", TODAY, stdin="/report\n3\n")
    assert ended.returncode == 0 and "Traceback" not in ended.stderr


def test_a_full_disk_on_standard_output_is_one_line(demo_dir: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "bot.cli", "plan", "--json", "--data-dir", str(demo_dir)],
                              stdout=full, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env, timeout=120)
    assert done.returncode == 1 and "ดิสก์เต็ม" in done.stderr and "Traceback" not in done.stderr


def _wait_for(fd: int, text: str, timeout: float = 120) -> str:
    """What a pseudo-terminal shows until `text` appears."""
    seen = ""
    end = time.monotonic() + timeout
    while text not in seen and time.monotonic() < end:
        ready, _, _ = select.select([fd], [], [], 1)
        if ready:
            seen += os.read(fd, 4096).decode(errors="replace")
    return seen


@pytest.mark.parametrize("typed_at", ["terminal", "pipe"])
def test_ctrl_c_while_the_demo_waits_for_input_ends_quietly(demo_dir: Path, typed_at: str) -> None:
    main_fd, term_fd = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "demo", "--data-dir", str(demo_dir), "--today", TODAY],
        stdin=term_fd if typed_at == "terminal" else subprocess.PIPE, stdout=term_fd, stderr=subprocess.PIPE,
        cwd=ROOT, env=env,
    )
    os.close(term_fd)
    try:
        assert "itabot —" in _wait_for(main_fd, "/quit")
        time.sleep(0.5)  # at the prompt, reading
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        os.close(main_fd)
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "Traceback" not in err.decode() and "KeyboardInterrupt" not in err.decode()


@pytest.mark.parametrize(("name", "value", "phrase"), [
    ("ITABOT_PORT", "abc", "ต้องเป็นจำนวนเต็ม"),
    ("ITABOT_MAX_FILE_MB", "-3", "ติดลบไม่ได้"),
    ("ITABOT_TELEGRAM_MAX_PER_SECOND", "x", "ต้องเป็นตัวเลข"),
])
def test_a_mistyped_number_in_the_environment_is_one_line(
    demo_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, name: str, value: str,
    phrase: str,
) -> None:
    monkeypatch.setenv(name, value)
    code, text = run(["run", "--no-chat", "--data-dir", str(demo_dir)], capsys)
    assert code == 1 and f"{name}='{value}'" in text and phrase in text
    assert "Traceback" not in text and "ไม่คาดคิด" not in text
