"""`itabot invite` and `itabot officers` as an admin uses them from the shell."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main as cli
from tests.factory import make_office


def test_invite_prints_code_last_and_it_registers(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", "itabot_demo_bot")
    office = make_office(tmp_path)
    assert cli(["invite", "--data-dir", str(tmp_path), "--unit", "กองคลัง", "--role", "officer", "--name", "สมหญิง"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    code = out[-1]
    assert len(code) == 8 and code.isalnum()
    assert f"Telegram: https://t.me/itabot_demo_bot?start={code}" in out
    assert "/start " + code in out[1] and "หมดอายุ" in out[0]
    chat = office.chat("tg1")
    chat.say(f"/start {code}")
    assert "สมหญิง" in chat.text and "กองคลัง" in chat.text


def test_invite_errors_are_clear(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(["invite", "--data-dir", str(tmp_path / "empty"), "--unit", "กองคลัง"]) == 2
    assert "ยังไม่มีหน่วยงาน" in capsys.readouterr().err
    make_office(tmp_path)
    assert cli(["invite", "--data-dir", str(tmp_path), "--unit", "กองเรือ"]) == 2
    assert "ไม่พบหน่วยงาน" in capsys.readouterr().err
    assert cli(["invite", "--data-dir", str(tmp_path), "--role", "officer"]) == 2
    assert "--unit" in capsys.readouterr().err


def test_officers_list_and_deactivate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    office = make_office(tmp_path)
    office.register("a", "officer", "กองคลัง", name="สมหญิง")
    assert cli(["officers", "--data-dir", str(tmp_path)]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if "สมหญิง" in x)
    person_id = line.split("\t")[0]
    assert "กองคลัง" in line and "officer" in line
    assert cli(["officers", "--data-dir", str(tmp_path), "--deactivate", person_id]) == 0
    again = make_office(tmp_path).chat("a")
    again.say("/report")
    assert "ปิดใช้งาน" in again.text
    assert cli(["officers", "--data-dir", str(tmp_path), "--deactivate", "nobody"]) == 2
