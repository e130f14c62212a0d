"""`itabot invite` and `itabot officers` as an admin uses them from the shell."""

from __future__ import annotations

import io
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
    err = capsys.readouterr().err
    assert "ไม่รู้จักส่วนราชการ \"กองเรือ\"" in err and "1. สำนักปลัด, 2. กองคลัง, 3. กองช่าง" in err
    assert cli(["invite", "--data-dir", str(tmp_path), "--unit", "กองคลัง", "--role", "boss"]) == 2
    err = capsys.readouterr().err
    assert "ไม่รู้จักบทบาท \"boss\"" in err and "หัวหน้า (head)" in err and "ผู้ดูแล (admin)" in err
    assert cli(["invite", "--data-dir", str(tmp_path), "--role", "officer"]) == 2
    assert "--unit" in capsys.readouterr().err


def test_invite_takes_units_and_roles_as_people_type_them(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    office = make_office(tmp_path)
    assert cli(["invite", "--data-dir", str(tmp_path), "--unit", "๒", "--role", "เจ้าหน้าที่", "--name", "สมชาย"]) == 0
    code = capsys.readouterr().out.strip().splitlines()[-1]
    assert cli(["invite", "--data-dir", str(tmp_path), "--unit", "กอง ช่าง", "--role", "หัวหน้า", "--name", "สมศรี"]) == 0
    head_code = capsys.readouterr().out.strip().splitlines()[-1]
    chat = office.chat("tg7")
    chat.say(f"/start {code}")
    assert "สมชาย" in chat.text and "กองคลัง" in chat.text  # unit 2 in the list
    head = office.chat("tg8")
    head.say(f"/start {head_code}")
    assert "สมศรี" in head.text and "กองช่าง" in head.text


def test_officers_list_and_deactivate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    office = make_office(tmp_path)
    office.register("a", "officer", "กองคลัง", name="สมหญิง")
    assert cli(["officers", "--data-dir", str(tmp_path)]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if "สมหญิง" in x)
    person_id = line.split("\t")[0]
    assert "กองคลัง" in line and "officer" in line
    capsys.readouterr()
    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))  # asks first: anything but y keeps the person
    assert cli(["officers", "--data-dir", str(tmp_path), "--deactivate", person_id]) == 1
    assert "ปิดใช้งาน สมหญิง" in capsys.readouterr().out
    again = make_office(tmp_path).chat("a")
    again.say("/report")
    assert "ปิดใช้งาน" not in again.text
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
    assert cli(["officers", "--data-dir", str(tmp_path), "--deactivate", person_id]) == 0
    again.say("/report")
    assert "ปิดใช้งาน" in again.text
    assert cli(["officers", "--data-dir", str(tmp_path), "--activate", person_id]) == 0
    again.say("/report")
    assert "ปิดใช้งาน" not in again.text and again.buttons()
    assert cli(["officers", "--data-dir", str(tmp_path), "--deactivate", "nobody", "--yes"]) == 2


def test_officers_grant_combines_roles(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    office = make_office(tmp_path)
    office.register("h", "admin", name="ปลัดสมชาย")
    assert cli(["officers", "--data-dir", str(tmp_path)]) == 0
    person_id = next(x for x in capsys.readouterr().out.splitlines() if "ปลัดสมชาย" in x).split("\t")[0]
    assert cli(["officers", "--data-dir", str(tmp_path), "--grant", person_id, "--role", "officer"]) == 2
    assert "--unit" in capsys.readouterr().err
    assert cli(["officers", "--data-dir", str(tmp_path), "--grant", person_id, "--role", "officer",
                "--unit", "กองคลัง"]) == 0
    assert cli(["officers", "--data-dir", str(tmp_path)]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith(person_id))
    assert "officer,admin" in line and "กองคลัง" in line
    chat = make_office(tmp_path).chat("h")
    chat.say("/report")  # the admin now reports for กองคลัง's measures
    assert "รายงานแล้ว 0/2" in chat.text


async def test_invite_asks_telegram_for_the_bot_name(tmp_path: Path, monkeypatch) -> None:
    import asyncio

    from tests.fakes.telegram_api import FakeTelegramAPI

    fake = await FakeTelegramAPI().start()
    try:
        monkeypatch.delenv("TELEGRAM_BOT_USERNAME", raising=False)
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", fake.token)
        monkeypatch.setenv("TELEGRAM_API_BASE_URL", fake.root_url)
        make_office(tmp_path)
        import subprocess
        import sys

        result = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "bot.cli", "invite", "--data-dir", str(tmp_path), "--unit", "กองคลัง"],
            capture_output=True, text=True, timeout=60,
        )
        assert result.returncode == 0, result.stderr
        code = result.stdout.strip().splitlines()[-1]
        assert f"https://t.me/ita_test_bot?start={code}" in result.stdout
    finally:
        await fake.stop()
