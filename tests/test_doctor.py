"""`itabot doctor` against the fake Telegram and LINE servers and a local /healthz: every check shows ✓ and ✗."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from bot.cli import main as cli
from bot.web import WebServer
from storage.clock import BANGKOK
from storage.pg_schema import LATEST
from tests.factory import make_office
from tests.fakes.line_api import FakeLineAPI
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.tools import require_tool

CHECKS = ["data directory modes", "database", "Telegram token", "LINE token", "Telegram webhook", "LINE webhook",
          "PUBLIC_BASE_URL /healthz", "clock", "time zone", "free disk", "LibreOffice (PDF)", "last backup",
          "LINE push quota"]


@dataclass
class Host:
    """A configured host: the fakes, the bot's own web server, and a data directory with a backup."""

    telegram: FakeTelegramAPI
    line: FakeLineAPI
    web: WebServer
    data_dir: Path
    problems: list[str]

    def env(self) -> dict[str, str]:
        return {
            "TELEGRAM_BOT_TOKEN": self.telegram.token, "TELEGRAM_API_BASE_URL": self.telegram.root_url,
            "TELEGRAM_WEBHOOK_URL": f"{self.web.url}/telegram/webhook",
            "LINE_CHANNEL_SECRET": "line-secret", "LINE_CHANNEL_ACCESS_TOKEN": self.line.access_token,
            "LINE_API_BASE_URL": self.line.root_url, "PUBLIC_BASE_URL": self.web.url,
            "ITABOT_DATA_DIR": str(self.data_dir), "LINE_MONTHLY_PUSH_LIMIT": "300",
        }


@pytest.fixture
def bangkok_tz() -> Iterator[None]:
    """The process's time zone set like a Thai host's (restored afterwards)."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Bangkok"
    time.tzset()
    yield
    if before is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = before
    time.tzset()


@pytest.fixture
async def host(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bangkok_tz: None) -> AsyncIterator[Host]:
    telegram, line = await FakeTelegramAPI().start(), await FakeLineAPI().start()
    problems: list[str] = []
    web = WebServer("127.0.0.1", 0)

    async def health() -> list[str]:
        return list(problems)

    web.health_checks.append(health)
    await web.start()
    data_dir = tmp_path / "data"
    umask = os.umask(0o077)  # as every itabot command runs
    try:
        make_office(data_dir, tinydb=True).repo.close()  # a TinyDB host (a PostgreSQL one: the last test)
    finally:
        os.umask(umask)
    (data_dir / "backups").mkdir(mode=0o700)
    backup = data_dir / "backups" / "itabot-20261201-020000.tar.gz"
    backup.write_bytes(b"archive")
    backup.chmod(0o600)
    made = Host(telegram, line, web, data_dir, problems)
    telegram.webhook = {"url": f"{web.url}/telegram/webhook"}  # as `itabot run` registers it
    line.webhook_endpoint = f"{web.url}/line/webhook"  # as pasted into the LINE console
    line.pushes.extend({"to": f"U{i}"} for i in range(12))
    monkeypatch.delenv("ITABOT_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)  # no developer's .env is read
    for key, value in made.env().items():
        monkeypatch.setenv(key, value)
    yield made
    await web.stop()
    await line.stop()
    await telegram.stop()


async def doctor(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, str]]:
    """Run the command as a host would (in a thread: it runs its own event loop) → exit code, line per check."""
    code = await asyncio.to_thread(cli, ["doctor", *args])
    out = capsys.readouterr().out
    lines: dict[str, str] = {}
    for line in out.splitlines():
        for name in CHECKS:
            if f"/ {name}:" in line or line[2:].startswith(f"{name}:"):
                lines[name] = line
    assert set(lines) == set(CHECKS), out
    return code, lines


async def test_a_healthy_host_gets_every_check_ticked_and_exit_0(host: Host, capsys) -> None:
    require_tool("soffice", "libreoffice", package="libreoffice-writer-nogui")
    code, lines = await doctor(capsys, "--min-free-mb", "1")
    assert {name: line[0] for name, line in lines.items()} == dict.fromkeys(CHECKS, "✓"), "\n".join(lines.values())
    assert code == 0
    assert "@ita_test_bot" in lines["Telegram token"] and "@123itabot" in lines["LINE token"]
    assert "12 of 300" in lines["LINE push quota"]
    assert "1 office" in lines["database"]


async def test_a_broken_host_gets_every_check_crossed_with_what_to_do(host: Host, capsys, monkeypatch, tmp_path) -> None:
    (host.data_dir / "orgs" / "o1" / "fy2569.json").write_text("{ not json")
    (host.data_dir / "registry.json").chmod(0o644)
    host.telegram.webhook = {"url": "https://old-host.example/telegram/webhook"}
    host.line.webhook_endpoint = "https://old-host.example/line/webhook"
    host.problems.append("inbox: disk full")
    host.line.pushes.extend({"to": "U"} for _ in range(240))  # 252 of 300
    os.environ["TZ"] = "UTC"  # the bangkok_tz fixture puts the process's zone back afterwards
    time.tzset()
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))  # no LibreOffice on this PATH
    rehearsal = datetime(2026, 1, 1, 10, 0, tzinfo=BANGKOK)  # the bot's clock far from the servers'
    os.utime(host.data_dir / "backups" / "itabot-20261201-020000.tar.gz",
             (rehearsal.timestamp() - 3 * 86400,) * 2)
    code, lines = await doctor(capsys, "--now", "2026-01-01 10:00", "--min-free-mb", str(10**12))
    tokens = {"Telegram token", "LINE token"}  # still valid here: rejected tokens are the next test's
    assert {n: line[0] for n, line in lines.items() if n not in tokens} == dict.fromkeys(set(CHECKS) - tokens, "✗"), (
        "\n".join(lines.values()))
    assert code == 1
    assert "fy2569.json" in lines["database"]
    assert "registry.json (0644)" in lines["data directory modes"] and "chmod -R go-rwx" in lines["data directory modes"]
    assert "old-host.example" in lines["Telegram webhook"] and "restart `itabot run`" in lines["Telegram webhook"]
    assert f"expected {host.web.url}/line/webhook" in lines["LINE webhook"]
    assert "503" in lines["PUBLIC_BASE_URL /healthz"] and "inbox: disk full" in lines["PUBLIC_BASE_URL /healthz"]
    assert "timedatectl set-ntp true" in lines["clock"]
    assert "set-timezone Asia/Bangkok" in lines["time zone"]
    assert "apt install libreoffice-writer-nogui" in lines["LibreOffice (PDF)"]
    assert "72 h ago" in lines["last backup"]
    assert "252 of 300" in lines["LINE push quota"]


async def test_rejected_tokens_and_a_missing_setup_are_named(host: Host, capsys, monkeypatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:WRONG")
    monkeypatch.setenv("LINE_CHANNEL_ACCESS_TOKEN", "revoked")
    monkeypatch.delenv("PUBLIC_BASE_URL")
    for backup in (host.data_dir / "backups").iterdir():
        backup.unlink()
    code, lines = await doctor(capsys, "--min-free-mb", "1")
    assert code == 1
    assert lines["Telegram token"].startswith("✗") and "@BotFather" in lines["Telegram token"]
    assert lines["LINE token"].startswith("✗") and "LINE console" in lines["LINE token"]
    assert lines["LINE webhook"].startswith("✗") and "PUBLIC_BASE_URL is not set" in lines["LINE webhook"]
    assert lines["PUBLIC_BASE_URL /healthz"].startswith("✗")
    assert lines["last backup"].startswith("✗") and "no backup in" in lines["last backup"]


async def test_a_recent_webhook_delivery_error_is_shown_and_an_old_one_is_not(host: Host, capsys) -> None:
    host.telegram.webhook_error = {"last_error_date": int(time.time()) - 60,
                                   "last_error_message": "SSL error: certificate verify failed"}
    _, lines = await doctor(capsys, "--min-free-mb", "1")
    assert lines["Telegram webhook"].startswith("✗") and "certificate verify failed" in lines["Telegram webhook"]
    host.telegram.webhook_error["last_error_date"] = int(time.time()) - 2 * 86400  # fixed since
    _, lines = await doctor(capsys, "--min-free-mb", "1")
    assert lines["Telegram webhook"].startswith("✓")


async def test_polling_without_public_url_is_fine_and_platforms_left_out_are_dashed(host: Host, capsys, monkeypatch) -> None:
    for key in ("TELEGRAM_WEBHOOK_URL", "PUBLIC_BASE_URL", "LINE_CHANNEL_SECRET", "LINE_CHANNEL_ACCESS_TOKEN"):
        monkeypatch.delenv(key)
    host.telegram.webhook = {}
    _, lines = await doctor(capsys, "--min-free-mb", "1")
    assert lines["Telegram webhook"].startswith("✓") and "polling" in lines["Telegram webhook"]
    assert all(lines[n].startswith("–") for n in ("LINE token", "LINE webhook", "PUBLIC_BASE_URL /healthz",
                                                  "LINE push quota"))
    host.telegram.webhook = {"url": "https://left-over.example/hook"}  # a webhook set blocks polling
    _, lines = await doctor(capsys, "--min-free-mb", "1")
    assert lines["Telegram webhook"].startswith("✗") and "left-over.example" in lines["Telegram webhook"]


@pytest.mark.backend("postgresql")  # the database checks
async def test_postgresql_store_migrated_or_not(host: Host, capsys, pg_url: str, pg_empty_url: str) -> None:
    _, lines = await doctor(capsys, "--database-url", pg_url, "--min-free-mb", "1")
    assert lines["database"].startswith("✓") and f"schema {LATEST} (latest)" in lines["database"]
    _, lines = await doctor(capsys, "--database-url", pg_empty_url, "--min-free-mb", "1")
    assert lines["database"].startswith("✗") and "itabot migrate" in lines["database"]
    _, lines = await doctor(capsys, "--database-url", "postgresql://nobody@127.0.0.1:1/none", "--min-free-mb", "1")
    assert lines["database"].startswith("✗") and "unreachable" in lines["database"]
