"""`itabot run` with no chat platform configured: refuses with one Thai line, or serves /healthz with --no-chat."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp

from tests.test_telegram_run import ROOT, free_port
from tests.tools import clean_env as suite_env


def clean_env() -> dict[str, str]:
    """The environment without any platform, itabot or database settings."""
    env = suite_env()
    env["PYTHONPATH"] = str(ROOT)
    return env


def test_run_without_a_platform_names_the_variables_and_exits_2(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run", "--data-dir", str(tmp_path / "data"), "--port", str(free_port())],
        capture_output=True, text=True, cwd=tmp_path, env=clean_env(), timeout=60,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert "ยังไม่ได้ตั้งค่าแพลตฟอร์มแชต" in line
    for name in ("TELEGRAM_BOT_TOKEN", "LINE_CHANNEL_SECRET", "LINE_CHANNEL_ACCESS_TOKEN", "--no-chat"):
        assert name in line
    assert not (tmp_path / "data").exists()  # nothing was opened


async def test_no_chat_serves_healthz_and_says_so_once(tmp_path: Path) -> None:
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", "--no-chat", "--data-dir", str(tmp_path / "data"),
        "--port", str(port), cwd=tmp_path, env=clean_env(),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(300):
                try:
                    async with http.get(f"http://127.0.0.1:{port}/healthz") as resp:
                        assert resp.status == 200
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.1)
            else:
                raise AssertionError("itabot run --no-chat never answered /healthz")
        await asyncio.sleep(0.3)
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), timeout=20) == 0
        assert proc.stdout is not None
        log = (await proc.stdout.read()).decode()
        assert log.count("itabot ทำงานแล้ว") == 1 and "โดยไม่เปิดแชต (--no-chat)" in log
        assert "Traceback" not in log
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
