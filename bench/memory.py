"""Memory: peak RSS of `itabot run` hosting 200 organizations while serving the throughput load.

A data directory with 200 organizations (bench/workload.py; rounds 3, 6 and 9 of FY 2569 answered,
round 12 open so that officers have something to report, ~0.45 MB of year file each) is served by
`itabot run --today 2026-09-10` started as a subprocess, with TELEGRAM_BOT_TOKEN and
TELEGRAM_API_BASE_URL pointing at the benchmark's fake Bot API server (bench/fake_bot_api.py, in
this process). Once the bot polls, one officer of every organization runs the scripted report
conversation of bench/telegram_throughput.py (closed loop, all at once), so every organization's
files are touched. The figure is the kernel's high-water mark of the bot's resident set
(VmHWM in /proc/<pid>/status) read just before SIGTERM; VmRSS is also sampled during the run.
The directory has been opened once before, as a live one has (its files are in the record of files
found good, storage/verified.py); `startup_seconds` (wall) and `startup_cpu_seconds` (the process's
user + system time from /proc/<pid>/stat) run from the start of `itabot run` to its first getUpdates,
and the load average beside them says how busy the machine was.

2026-12-02: 247.2, 244.3 and 245.8 MiB (RSS 107-112 MiB after start), 0 timeouts, at load average 1.3-2.5; 407 MiB
before the store's caches were bounded by size, its rows slotted and the link backlog listed office by office
(README, benchmark table).

Run: `python -m bench.memory [--quick]` (Linux only: it reads /proc).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from storage.migrate import migrate_data_dir
from storage.tinydb_repo import TinyRepository

from .fake_bot_api import FakeBotAPI
from .telegram_throughput import OPEN_ROUND_DATA, drive, officer_script
from .workload import NOW, build_data_dir, load_users

__all__ = ["run", "proc_status_kb"]

GOAL_MB = 300


def proc_status_kb(pid: int, field: str) -> int:
    """A kB field (VmRSS, VmHWM …) of /proc/<pid>/status; 0 when the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def proc_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (/proc/<pid>/stat); 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _command() -> list[str]:
    script = Path(sys.executable).with_name("itabot")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main())"]


async def _wait_polling(fake: FakeBotAPI, proc: subprocess.Popen[bytes], timeout: float) -> float:
    t0 = time.perf_counter()
    while fake.requests["getupdates"] == 0:
        if proc.poll() is not None:
            raise RuntimeError(f"itabot run exited with {proc.returncode} before polling")
        if time.perf_counter() - t0 > timeout:
            raise RuntimeError("itabot run did not start polling in time")
        await asyncio.sleep(0.05)
    return time.perf_counter() - t0


async def _sample(pid: int, peak: list[int], stop: asyncio.Event) -> None:
    while not stop.is_set():
        peak[0] = max(peak[0], proc_status_kb(pid, "VmRSS"))
        await asyncio.sleep(0.2)


async def _run(n_orgs: int, measures: int, work_dir: str | None) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="itabot-bench-mem-", dir=work_dir))
    proc: subprocess.Popen[bytes] | None = None
    fake = await FakeBotAPI().start()
    try:
        data_dir = tmp / "data"
        orgs = build_data_dir(data_dir, n_orgs, OPEN_ROUND_DATA)
        migrate_data_dir(data_dir)  # at this release's schema, as a live directory is: no upgrade backup at start
        TinyRepository(data_dir).close()  # opened before, as a live directory has been: its files are known good
        users = load_users(orgs, n_orgs)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "LINE_", "ITABOT_"))}
        env.update(TELEGRAM_BOT_TOKEN=fake.token, TELEGRAM_API_BASE_URL=fake.root_url, ITABOT_HOST="127.0.0.1",
                   ITABOT_PORT=str(_free_port()), PYTHONPATH=str(Path(__file__).resolve().parent.parent))
        cmd = [*_command(), "run", "--data-dir", str(data_dir), "--today", NOW.date().isoformat()]
        log = (tmp / "itabot.log").open("wb")
        proc = subprocess.Popen(cmd, cwd=tmp, env=env, stdout=log, stderr=subprocess.STDOUT)
        load_before = os.getloadavg()[0]
        startup = await _wait_polling(fake, proc, timeout=600)
        startup_cpu = proc_cpu_seconds(proc.pid)
        idle_kb = proc_status_kb(proc.pid, "VmRSS")
        peak = [idle_kb]
        stop = asyncio.Event()
        sampler = asyncio.create_task(_sample(proc.pid, peak, stop))
        load = await drive(fake, users, officer_script(measures), echo=False, timeout=60)
        stop.set()
        await sampler
        hwm_kb = proc_status_kb(proc.pid, "VmHWM")
        cpu_total = proc_cpu_seconds(proc.pid)
        if proc.poll() is not None:
            raise RuntimeError(f"itabot run died during the load (exit {proc.returncode})")
        proc.send_signal(signal.SIGTERM)
        t_stop = time.perf_counter()
        try:
            exit_code: int | None = proc.wait(timeout=120)
        except subprocess.TimeoutExpired:  # recorded, not fatal: the figure above is already read
            exit_code = None
        stop_seconds = time.perf_counter() - t_stop
        log.close()
        return {
            "memory.peak_rss_mb": round(hwm_kb / 1024, 1),
            "unit": "MiB (VmHWM of the itabot run process)",
            "goal": f"peak_rss_mb < {GOAL_MB}",
            "rss_after_startup_mb": round(idle_kb / 1024, 1),
            "rss_sampled_max_mb": round(peak[0] / 1024, 1),
            "organizations": n_orgs,
            "data_dir_mb": round(sum(p.stat().st_size for p in data_dir.rglob("*") if p.is_file()) / 1e6, 1),
            "startup_seconds": round(startup, 2),
            "startup_cpu_seconds": round(startup_cpu, 2),
            "cpu_seconds_to_end_of_load": round(cpu_total, 2),  # the bot's own CPU, startup included
            "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],  # at start, at the end
            "load": load.figures(),
            "exit_code_after_sigterm": exit_code,  # None: still running 120 s after SIGTERM (then killed)
            "seconds_to_exit_after_sigterm": round(stop_seconds, 1),
            "how": (f"`itabot run` subprocess on {n_orgs} orgs (rounds 3-9 answered), polling the fake Bot API; "
                    f"{len(users)} officers (one per org) run the {measures}-measure report script closed loop; "
                    "VmHWM read from /proc before SIGTERM"),
        }
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        await fake.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def run(n_orgs: int = 200, measures: int = 1, work_dir: str | None = None) -> dict[str, Any]:
    """Peak RSS of the bot process hosting n organizations under load."""
    return asyncio.run(_run(n_orgs, measures, work_dir))


if __name__ == "__main__":
    out = run(n_orgs=10) if "--quick" in sys.argv else run()
    print(json.dumps({"memory": out}, ensure_ascii=False, indent=2))
