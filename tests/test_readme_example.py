"""The README's piped demo, copied as is into a shell on a fresh clone, reports with two evidence items."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _readme_command() -> str:
    """The `$ printf … | .venv/bin/itabot demo …` command of the README (with its continuation lines)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"^\$ (printf .*?\\\n\s+\|.*?)$", text, flags=re.M | re.S)
    assert match, "README lost its piped demo example"
    return match.group(1).replace("\\\n", " ")


def test_readme_piped_demo_runs_as_written(tmp_path: Path) -> None:
    command = _readme_command()
    assert "examples/order.pdf" in command and (ROOT / "examples" / "order.pdf").is_file()
    data = tmp_path / "itabot-demo"
    command = command.replace(".venv/bin/itabot", f"{sys.executable} -m bot.cli").replace("/tmp/itabot-demo", str(data))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "รับหลักฐานแล้ว: order.pdf (รวม 2 รายการ)" in done.stdout
    assert "บันทึกแล้ว ✅" in done.stdout
    assert "หลักฐาน: 2 รายการ" in done.stdout
