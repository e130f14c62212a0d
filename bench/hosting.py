"""Hosting many offices: does a report cost more when 1,000 offices share the database, and do two
workers answer more updates per second than one?

`ratio_1000_to_1`: the median cost of a report save (`add_report`, one transaction) and of `/report`
(the engine's whole answer: plan, reports, conversation state) for one office, when the PostgreSQL database
holds that office alone vs 1,000 offices' full years (53 measures, four answered rounds each, bench/workload.py);
the worse of the two ratios is the headline. TinyDB is measured the same way beside it (one office vs
`tiny_offices` offices in one data directory).

`scale_2_workers`: updates answered per second by two real `itabot run` workers on one database ÷ by one,
Telegram webhooks delivered round-robin (bench/pg_fleet.py) by closed-loop officers each reporting one
measure; the fake Bot API (its bare HTTP front, tests/fakes/lean_http.py: Telegram is not on a host), the driver,
PostgreSQL and the workers share this machine (its cores recorded). Each run has a database of its own, seeded
with the same offices, their answered year and a day of handled inbox events (a live host's inbox, whose
statistics its claims are planned with), and the same officers. It starts once the workers' start-up work is
done and each worker has answered `/report` for every office (long-lived workers hold the offices' parsed years).
The CPU every side spent per answered update is recorded from /proc: W (the workers) and O (PostgreSQL's server
and backends, the fake Bot API and driver in this process); with everything on two cores, two workers can reach
at most 2W/(W+O) of one worker's rate (`bound_2_workers`), so a ratio far below that bound is contention, one
above it the neighbours' load. One `itabot run` on TinyDB under the same load is reported beside it.

The load must keep the workers busy, not Telegram's pacing: a chat gets about one message a second after a burst
of three (bot/ratelimit.py, as Telegram asks), so officers × 1/s must stay well above what two workers answer
(`pacing_cap_per_second`): 600 officers, one per unit of 121 offices. Each officer pauses 0.5–1.5 s before each
update, as people read and tap: officers that answer within a millisecond are all paced at once, a second
apart, and march in lockstep, the machine idle between their waves (session 7: 15–25 % idle with 600 of them).
With 60 officers (until session 6) both runs were paced, not worker-bound (p50 latency ~0.8 s with the workers at
half a core). `steady_updates_per_second` leaves out the first and last tenth of the answers (everyone's first
update at once; the last officers alone).

`scale_2_workers` is the median of `--repeat N` runs (5 unless --quick), every ratio and the load average before
each kept beside it; `predicted_by_cpu` is 2·W1/(W2+O2), what the CPU figures allow. This machine's speed drifts
from minute to minute (the same run's W varies by ±15 %), hence the repeats.

Run: `python -m bench.hosting [--quick] [--scale-only] [--repeat N]` (needs PostgreSQL's server binaries, as the
tests do).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

from bot.ratelimit import ChatRateLimiter
from domain.events import Incoming
from handlers.engine import Engine
from storage.clock import FixedClock
from storage.evidence import EvidenceStore
from storage.models import ReportEntry, new_id, now_iso
from storage.pg_repo import PgRepository
from storage.pg_schema import migrate
from storage.repository import Repository
from storage.tinydb_repo import TinyRepository
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.pg import PgCluster, start_cluster
from tests.test_telegram_run import free_port

from .pg_fleet import CpuMeter, Fleet, proc_cpu, seed, start_worker, stop_worker
from .telegram_throughput import OPEN_ROUND_DATA, officer_script
from .workload import NOW, OrgData, evidence_pool, load_users, make_org, write_orgs, write_registry

__all__ = ["run"]

EVENING = "2026-09-10 20:00"  # round 12 open, outside reminder hours: chats hear only their replies
CHUNK = 50  # offices generated and copied at a time (a full year is ~1 MB of JSON per office)
THINK_S = (0.5, 1.5)  # an officer reads and taps: without it Telegram's pacing marches 600 officers in lockstep
HANDLED_PER_CHAT = 20  # the inbox a live host keeps: a day of handled events (pruned after that), not an empty table
WARM_UP = [("text", "/report", "มาตรการที่ต้องรายงาน")]  # reads the office's plan and year


def _median_ms(action: Callable[[], Any], times: int) -> float:
    samples = []
    for _ in range(times):
        t0 = time.perf_counter()
        action()
        samples.append((time.perf_counter() - t0) * 1000)
    return round(statistics.median(samples), 3)


def _costs(repo: Repository, evidence: EvidenceStore, office: OrgData, samples: int,
           saved: list[str] | None = None) -> dict[str, float]:
    """Median ms of /report and of a report save for the first officer of `office` (`saved`: the saves' ids).

    /report first: each save adds a revision the next /report reads, so the office must hold the same rows in
    both phases of a ratio (session 7: measured after 60 saves of its own, then after 120, it read 1.6x slower)."""
    engine = Engine(repo, evidence, FixedClock(NOW))
    person = office.officers[0]
    uid = person.identities[0].user_id
    unit = person.unit_ids[0]
    measure = next(m for m in office.files[f"orgs/{office.org.id}/fy2569.json"]["measures"] if unit in m["unit_ids"])

    def save() -> None:
        entry_id = new_id("r")
        if saved is not None:
            saved.append(entry_id)
        repo.add_report(ReportEntry(
            id=entry_id, org_id=office.org.id, fiscal_year=2569, measure_id=measure["id"], round=12, unit_id=unit,
            status="done", summary="จัดอบรมและเผยแพร่ประกาศบนเว็บไซต์", outcome="บุคลากรรับทราบ",
            officer_id=person.id, officer_name=person.display_name, created_at=now_iso(NOW)))

    def report() -> None:
        engine.handle(Incoming.from_text("telegram", uid, "/report", chat_id=uid, display_name=person.display_name))

    report()  # warm: the first call parses the year
    report_ms = _median_ms(report, samples)
    return {"save_ms": _median_ms(save, samples), "report_ms": report_ms}


def _offices(pool: list[Any], start: int, count: int) -> list[OrgData]:
    return [make_org(i, pool) for i in range(start, start + count)]


def _pg_ratio(cluster: PgCluster, pool: list[Any], evidence: EvidenceStore, offices: int, samples: int) -> dict[str, Any]:
    """The same office's costs with itself alone in the database, then beside `offices - 1` others."""
    name = cluster.new_database()
    url = cluster.url(name)
    with psycopg.connect(url, autocommit=True) as conn:
        migrate(conn)
    first = _offices(pool, 0, 1)
    seed(url, first)
    repo = PgRepository.open(url)
    try:
        saved: list[str] = []
        alone = _costs(repo, evidence, first[0], samples, saved)
        with repo.pool.connection() as conn:  # the office as it was: the next /report reads the same rows
            conn.execute("DELETE FROM reports WHERE org_id = %s AND id = ANY(%s)", (first[0].org.id, saved))
        t0 = time.perf_counter()
        for start in range(1, offices, CHUNK):
            seed(url, _offices(pool, start, min(CHUNK, offices - start)))
        load_s = time.perf_counter() - t0
        with repo.pool.connection() as conn:
            reports = conn.execute("SELECT count(*) FROM reports").fetchone()
            size = conn.execute("SELECT pg_database_size(current_database())").fetchone()
        many = _costs(repo, evidence, first[0], samples)
    finally:
        repo.close()
        cluster.drop_database(name)
    return {"one_office": alone, f"{offices}_offices": many, "load_seconds": round(load_s, 1),
            "report_rows": int(reports[0]) if reports else 0, "database_mb": round(int(size[0]) / 2**20) if size else 0,
            "ratio_save": round(many["save_ms"] / alone["save_ms"], 3),
            "ratio_report": round(many["report_ms"] / alone["report_ms"], 3)}


def _tiny_ratio(tmp: Path, pool: list[Any], evidence: EvidenceStore, offices: int, samples: int) -> dict[str, Any]:
    """The same on TinyDB files: one office alone in a data directory, then beside `offices - 1` others."""
    data = tmp / "tiny"
    first = _offices(pool, 0, 1)
    write_orgs(data, first)
    write_registry(data, first)
    repo = TinyRepository(data)
    try:
        alone = _costs(repo, evidence, first[0], samples)
    finally:
        repo.close()
    everyone = list(first)
    for start in range(1, offices, CHUNK):
        chunk = _offices(pool, start, min(CHUNK, offices - start))
        write_orgs(data, chunk)
        everyone += [OrgData(d.org, identities=d.identities) for d in chunk]  # the registry needs no years
    write_registry(data, everyone)
    repo = TinyRepository(data)
    try:
        many = _costs(repo, evidence, first[0], samples)
    finally:
        repo.close()
    shutil.rmtree(data, ignore_errors=True)
    return {"one_office": alone, f"{offices}_offices": many,
            "ratio_save": round(many["save_ms"] / alone["save_ms"], 3),
            "ratio_report": round(many["report_ms"] / alone["report_ms"], 3)}


def _postmaster(cluster: PgCluster | None) -> list[int]:
    """The PostgreSQL server's main process (its backends are its children)."""
    if cluster is None:
        return []
    return [int((cluster.root / "data" / "postmaster.pid").read_text().split()[0])]


def _cpu_figures(spent: dict[str, float], updates: int) -> dict[str, Any]:
    """CPU ms per answered update: W (the workers) and O (everything else: PostgreSQL, fake Bot API and driver)."""
    per = {k: round(v * 1000 / updates, 2) if updates else 0.0 for k, v in spent.items()}
    other = per.get("postgresql", 0.0) + per.get("driver", 0.0)
    worker = per.get("workers", 0.0)
    return {"cpu_ms_per_update": per, "w_ms": worker, "o_ms": round(other, 2),
            # two cores shared by everything: 2 workers can reach at most 2W/(W+O) of one busy worker's rate
            "bound_2_workers": round(2 * worker / (worker + other), 3) if worker + other else None}


def _steady_rate(times: list[float], cut: float = 0.1) -> float:
    """Answers per second between the first and last `cut` of them: the run's steady state, without the start (every
    officer's first updates at once) and the end (the last officers alone, each paced by Telegram's per-chat limit)."""
    if len(times) < 10:
        return 0.0
    ordered = sorted(times)
    lo, hi = int(len(ordered) * cut), int(len(ordered) * (1 - cut))
    span = ordered[hi] - ordered[lo]
    return round((hi - lo) / span, 2) if span > 0 else 0.0


async def _settle(procs: list[asyncio.subprocess.Process], quiet: float = 0.1, limit: float = 90.0) -> None:
    """Wait until the workers use less than `quiet` of a core (their start-up work done), at most `limit` s."""
    deadline = time.monotonic() + max(limit, 0.0)
    pids = [p.pid for p in procs]
    before = sum(proc_cpu(pid) for pid in pids)
    while time.monotonic() < deadline:
        await asyncio.sleep(1.0)
        now = sum(proc_cpu(pid) for pid in pids)
        if now - before < quiet:
            return
        before = now


async def _throughput(url: str | None, data_dirs: list[Path], evidence: Path, users: list[int], script: list[Any],
                      tmp: Path, label: str, cluster: PgCluster | None = None,
                      warm_users: list[int] | None = None) -> dict[str, Any]:
    """Updates per second answered by these workers (one per data dir), officers closed loop; CPU per update.

    Before the clock runs, each worker answers `/report` from one officer of every office (`warm_users`), so
    one worker and two are measured alike, in the steady state of long-lived workers, not while filling caches.
    """
    warm_users = warm_users or []
    load_before = round(os.getloadavg()[0], 2)
    api = await FakeTelegramAPI().start(lean=True)  # Telegram is not on a host: its stand-in costs little
    ports = [free_port() for _ in data_dirs]
    procs = await asyncio.gather(*(
        start_worker(url, port, d, api, EVENING, tmp / f"{label}-{i}.log", evidence, link_check=False)
        for i, (port, d) in enumerate(zip(ports, data_dirs, strict=True))))
    try:
        await _settle(procs)  # the reminder planner derives its alarms once at start: let it finish first
        for port in ports:  # long-lived workers hold the offices' parsed years: so do these before the clock runs
            async with Fleet([api], [port]) as warm:
                await asyncio.gather(*(warm.officer(u, WARM_UP) for u in warm_users))
        await _settle(procs)
        meter = CpuMeter({"workers": [p.pid for p in procs], "postgresql": _postmaster(cluster)})
        async with Fleet([api], list(ports), think=THINK_S) as fleet:
            t0 = time.perf_counter()
            meter.start()
            await asyncio.gather(*(fleet.officer(u, script) for u in users))
            seconds = time.perf_counter() - t0
            meter.stop()
    finally:
        for proc in procs:
            await stop_worker(proc)
        await api.stop()
    lat = sorted(s for _, s in fleet.latencies) or [0.0]
    steady = _steady_rate(fleet.answered_at)
    used = sum(meter.spent.values())
    return {"workers": len(data_dirs), "updates": fleet.answered, "seconds": round(seconds, 2),
            "updates_per_second": round(fleet.answered / seconds, 2) if seconds else 0.0,
            "steady_updates_per_second": steady,
            "latency_p50_ms": round(lat[len(lat) // 2] * 1000, 1), "timeouts": fleet.timeouts,
            "unexpected": fleet.unexpected, **_cpu_figures(meter.spent, fleet.answered),
            # how busy each worker was (1.0: a core of its own all the time: the one-worker run is CPU-bound on the
            # worker only near 1.0) and how much of the machine everything measured used (the rest: neighbours, idle)
            "core_use_per_worker": round(meter.spent.get("workers", 0.0) / seconds / len(data_dirs), 2) if seconds else 0,
            "machine_use": round(used / seconds / (os.cpu_count() or 1), 2) if seconds else 0,
            # every officer's chat is paced at one message per chat_interval after its burst: the run's ceiling
            "pacing_cap_per_second": round(len(users) / ChatRateLimiter().chat_interval, 1),
            "load_average_before": load_before}


def _fresh_database(cluster: PgCluster, orgs: list[OrgData]) -> tuple[str, str]:
    """A new migrated database holding `orgs` and a day's handled events of their chats (name, url)."""
    name = cluster.new_database()
    url = cluster.url(name)
    with psycopg.connect(url, autocommit=True) as conn:
        migrate(conn)
    seed(url, orgs, handled_per_chat=HANDLED_PER_CHAT)
    return name, url


def _pg_run(cluster: PgCluster, orgs: list[OrgData], dirs: list[Path], evidence: Path, users: list[int],
            script: list[Any], tmp: Path, label: str, warm: list[int]) -> dict[str, Any]:
    """One measured run of these workers on a database of its own, seeded with the same offices as every other."""
    name, url = _fresh_database(cluster, orgs)
    try:
        return asyncio.run(_throughput(url, dirs, evidence, users, script, tmp, label, cluster, warm))
    finally:
        cluster.drop_database(name)


def _scale(cluster: PgCluster, tmp: Path, pool: list[Any], evidence: Path, officers: int,
           tiny: bool = True) -> dict[str, Any]:
    """One worker, then two, each on a fresh database of the same offices, the same officers; TinyDB's one beside."""
    n_orgs = max(2, officers // 5 + 1)  # one officer per unit: nobody finds a colleague's answer
    orgs = [make_org(i, pool, rounds=OPEN_ROUND_DATA) for i in range(n_orgs)]
    everyone = load_users(orgs, officers + n_orgs)
    users, warm = everyone[:officers], everyone[officers:]  # warm: one more officer per office, who only asks /report
    script = officer_script(1)
    one = _pg_run(cluster, orgs, [tmp / "p1"], evidence, users, script, tmp, "one", warm)
    two = _pg_run(cluster, orgs, [tmp / "p2a", tmp / "p2b"], evidence, users, script, tmp, "two", warm)
    ratio = round(two["updates_per_second"] / one["updates_per_second"], 3) if one["updates_per_second"] else None
    # what the CPU figures predict: one busy worker answers 1/W1 per second, two workers and everything beside them
    # on two cores 2/(W2+O2); far below: contention, far above: the one-worker run was starved by neighbours
    predicted = round(min(2.0, 2 * one["w_ms"] / (two["w_ms"] + two["o_ms"])), 3) if two["w_ms"] else None
    if not tiny:
        return {"one_worker": one, "two_workers": two, "ratio": ratio, "predicted_by_cpu": predicted}
    tiny_dir = tmp / "tinyrun"
    write_orgs(tiny_dir, orgs)
    write_registry(tiny_dir, orgs)
    shutil.copytree(evidence, tiny_dir / "evidence", dirs_exist_ok=True)
    tiny_run = asyncio.run(_throughput(None, [tiny_dir], tiny_dir / "evidence", users, script, tmp, "tiny",
                                       warm_users=warm))
    return {"one_worker": one, "two_workers": two, "tinydb_one_process": tiny_run, "ratio": ratio,
            "predicted_by_cpu": predicted}


def _median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run whose ratio is the median (the lower middle one of an even count)."""
    ranked = sorted(runs, key=lambda r: r["ratio"] or 0.0)
    return ranked[(len(ranked) - 1) // 2]


def _repeated(cluster: PgCluster, tmp: Path, pool: list[Any], evidence: Path, officers: int,
              repeats: int, tiny: bool = False) -> dict[str, Any]:
    """`scale_2_workers` measured `repeats` times (each on a fresh database); the median run and every ratio
    (`tiny`: the first repeat runs TinyDB's one process too, reported beside the median)."""
    runs = [_scale(cluster, tmp, pool, evidence, officers, tiny=tiny and i == 0) for i in range(max(1, repeats))]
    middle = _median_run(runs)
    if tiny:
        middle = {**middle, "tinydb_one_process": runs[0]["tinydb_one_process"]}
    return {**middle, "ratios": [r["ratio"] for r in runs], "predicted_by_cpu_all": [r["predicted_by_cpu"] for r in runs],
            "load_average_before_each": [r["one_worker"]["load_average_before"] for r in runs]}


def run_scale(officers: int = 600, work_dir: str | None = None, repeats: int = 5) -> dict[str, Any]:
    """Only `scale_2_workers` (no TinyDB run), the median of `repeats` runs, with the CPU each side spent per update."""
    tmp = Path(tempfile.mkdtemp(prefix="itabot-bench-hosting-", dir=work_dir))
    cluster = start_cluster()
    try:
        pool = evidence_pool(EvidenceStore(tmp / "evidence"))
        scale = _repeated(cluster, tmp, pool, tmp / "evidence", officers, repeats)
    finally:
        cluster.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return {"hosting.scale_2_workers": scale["ratio"], "cores": os.cpu_count(),
            "load_average_at_end": [round(x, 2) for x in os.getloadavg()], "workers": scale,
            "officers_per_run": officers, "repeats": repeats}


def run(offices: int = 1000, tiny_offices: int = 1000, samples: int = 60, officers: int = 600,
        work_dir: str | None = None, repeats: int = 5) -> dict[str, Any]:
    """Both figures and their TinyDB counterparts."""
    tmp = Path(tempfile.mkdtemp(prefix="itabot-bench-hosting-", dir=work_dir))
    cluster = start_cluster()
    try:
        store = EvidenceStore(tmp / "evidence")
        pool = evidence_pool(store)
        pg = _pg_ratio(cluster, pool, store, offices, samples)
        tiny = _tiny_ratio(tmp, pool, store, tiny_offices, samples)
        scale = _repeated(cluster, tmp, pool, tmp / "evidence", officers, repeats, tiny=True)
    finally:
        cluster.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return {
        "hosting.ratio_1000_to_1": max(pg["ratio_save"], pg["ratio_report"]),
        "hosting.scale_2_workers": scale["ratio"],
        "unit": "ratio of median ms (N offices / 1 office); ratio of updates per second (2 workers / 1)",
        "goal": "ratio_1000_to_1 <= 1.3; scale_2_workers >= 1.4",
        "cores": os.cpu_count(),
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "postgresql": pg, "tinydb": tiny, "workers": scale,
        "offices": offices, "tiny_offices": tiny_offices, "officers_per_run": officers, "repeats": repeats,
        "how": (f"PostgreSQL cluster from tests/pg.py (fsync off); {offices} offices of bench/workload.py (53 measures, "
                "4 answered rounds) COPYed in; median of save (add_report) and /report (Engine.handle) for office 0 "
                f"alone vs beside the others; TinyDB the same with {tiny_offices} offices. Workers: real `itabot run` "
                f"processes, Telegram webhook mode, fake Bot API (bare HTTP front), {officers} closed-loop officers "
                f"(a {THINK_S[0]}–{THINK_S[1]} s pause before each update) reporting one measure, each run on a database "
                f"of its own (the same offices, {HANDLED_PER_CHAT} handled inbox events per chat), "
                "webhooks round-robin, the seeded evidence links not checked in the background (ITABOT_LINK_CHECK=0); "
                "everything on this machine; CPU per update from /proc (workers, PostgreSQL's server and backends, "
                "this process: fake Bot API and driver)"),
    }


if __name__ == "__main__":
    quick = "--quick" in sys.argv
    times = int(sys.argv[sys.argv.index("--repeat") + 1]) if "--repeat" in sys.argv else (1 if quick else 5)
    if "--scale-only" in sys.argv:
        result = run_scale(officers=8 if quick else 600, repeats=times)
    else:
        result = run(offices=20, tiny_offices=20, samples=10, officers=8, repeats=times) if quick else run(repeats=times)
    print(json.dumps({"hosting": result}, ensure_ascii=False, indent=2))
