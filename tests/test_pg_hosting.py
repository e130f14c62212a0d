"""PostgreSQL beyond the shared contract: one-winner invites, whole plans under readers, the schema's
version check and `itabot migrate`, the store selected by ITABOT_DATABASE_URL, a chat served from it."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import psycopg
import pytest

from bot.cli import main as cli
from bot.wiring import build_services
from handlers.services import create_invite
from storage.clock import BANGKOK, FixedClock
from storage.factory import StoreUnavailable, open_repository, pool_options
from storage.models import Invite, Measure, Organization, Unit
from storage.pg_repo import PgRepository
from storage.pg_schema import LATEST, SchemaMismatch, connect, migrate
from storage.tinydb_repo import TinyRepository
from tests.factory import Chat

pytestmark = pytest.mark.backend("postgresql")  # PostgreSQL's own SQL, schema and workers

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def repo(pg_url: str) -> Iterator[PgRepository]:
    """A repository on an empty, migrated database."""
    opened = PgRepository.open(pg_url)
    yield opened
    opened.close()


def _wait_for_lock_waiters(url: str, count: int) -> None:
    """Until `count` sessions are blocked on a row lock (so they really run at the same time)."""
    with psycopg.connect(url, autocommit=True) as conn:
        for _ in range(500):
            row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'").fetchone()
            if row and row[0] >= count:
                return
            time.sleep(0.02)
    raise AssertionError(f"{count} sessions never waited on the lock")


def test_concurrent_redeemers_of_one_invite_have_exactly_one_winner(repo: PgRepository, pg_url: str) -> None:
    repo.save_invite(Invite(code="K7Q2M9XA", org_id="o1", role="officer", unit_ids=["u1"]))
    results: dict[str, Invite | None] = {}

    def redeem(officer_id: str) -> None:
        results[officer_id] = repo.claim_invite("K7Q2M9XA", officer_id, "2026-02-10T10:00:00+07:00")

    with psycopg.connect(pg_url) as holder:  # holds the row so both redeemers are inside their UPDATE together
        holder.execute("SELECT 1 FROM invites WHERE code = 'K7Q2M9XA' FOR UPDATE")
        threads = [threading.Thread(target=redeem, args=(f"p{i}",)) for i in (1, 2)]
        for t in threads:
            t.start()
        _wait_for_lock_waiters(pg_url, 2)
        holder.rollback()
    for t in threads:
        t.join()
    winners = [who for who, invite in results.items() if invite is not None]
    assert len(results) == 2 and len(winners) == 1
    stored = repo.get_invite("K7Q2M9XA")
    assert stored is not None and stored.used_by == winners[0] and stored.used_at == "2026-02-10T10:00:00+07:00"
    assert stored.unit_ids == ["u1"]  # the rest of the record is untouched
    assert repo.claim_invite("K7Q2M9XA", "p3", "later") is None
    assert repo.claim_invite("NOSUCHCODE", "p3", "later") is None


def test_readers_never_see_half_a_replaced_plan(repo: PgRepository) -> None:
    plans = [[Measure(id=f"{tag}{i}", no=i, indicator="1", title=tag) for i in range(1, n + 1)] for tag, n in (("a", 5), ("b", 9))]
    repo.save_measures("o1", 2569, plans[0])
    seen: set[tuple[str, ...]] = set()
    stop = threading.Event()

    def read() -> None:
        while True:  # at least once, however the threads are scheduled
            seen.add(tuple(m.id for m in repo.list_measures("o1", 2569)))
            if stop.is_set():
                return

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for i in range(40):
            repo.save_measures("o1", 2569, plans[i % 2])
    finally:
        stop.set()
        reader.join()
    whole = {tuple(m.id for m in plan) for plan in plans}
    assert seen and seen <= whole, seen - whole


# ----- schema version and `itabot migrate` ------------------------------------------------------------
def test_migrate_brings_an_empty_database_up_once(pg_empty_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SchemaMismatch, match="itabot migrate"):
        PgRepository.open(pg_empty_url)
    assert cli(["migrate", "--check", "--database-url", pg_empty_url]) == 1
    assert cli(["migrate", "--database-url", pg_empty_url]) == 0
    out = capsys.readouterr().out
    assert "0001_initial" in out and f"version {LATEST}" in out
    assert cli(["migrate", "--database-url", pg_empty_url]) == 0
    assert "applied" not in capsys.readouterr().out  # nothing left to apply
    assert cli(["migrate", "--check", "--database-url", pg_empty_url]) == 0
    opened = PgRepository.open(pg_empty_url)
    opened.save_org(Organization(id="o1", name="อบต.หนึ่ง"))
    assert [o.name for o in opened.list_orgs()] == ["อบต.หนึ่ง"]
    opened.close()


def test_two_migrations_at_once_apply_each_step_once(pg_empty_url: str) -> None:
    applied: list[int] = []

    def run() -> None:
        with connect(pg_empty_url) as conn:
            applied.extend(m.version for m in migrate(conn))

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(applied) == list(range(1, LATEST + 1))
    with connect(pg_empty_url) as conn:
        assert conn.execute("SELECT version FROM itabot_schema ORDER BY 1").fetchall() == [(v,) for v in range(1, LATEST + 1)]


def test_a_newer_schema_refuses_to_start_with_exit_3(
    pg_empty_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pg_url = pg_empty_url
    with connect(pg_url) as conn:
        migrate(conn)
        conn.execute("INSERT INTO itabot_schema (version, name) VALUES (%s, 'from_the_future')", (LATEST + 1,))
    env = {**os.environ, "ITABOT_DATABASE_URL": pg_url, "PYTHONPATH": str(ROOT)}
    run = subprocess.run(  # a separate process: were the check missing, `run` would serve, not hang the suite
        [sys.executable, "-m", "bot.cli", "run", "--no-chat", "--data-dir", str(tmp_path / "data"), "--port", "0"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 3, run.stderr
    assert f"version {LATEST + 1}" in run.stderr and "newer than this release" in run.stderr
    assert "ใหม่กว่าโปรแกรมรุ่นนี้" in run.stderr
    monkeypatch.setenv("ITABOT_DATABASE_URL", pg_url)
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    assert cli(["migrate"]) == 3
    assert cli(["migrate", "--check"]) == 3
    assert "newer than this release" in capsys.readouterr().err
    with connect(pg_url) as conn:  # refused before writing anything
        assert conn.execute("SELECT count(*) FROM orgs").fetchone() == (0,)


def test_an_unreachable_database_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"postgresql://itabot:s3cret@/itabot?host={tmp_path}&port=1"
    assert cli(["migrate", "--database-url", url]) == 3
    err = capsys.readouterr().err
    assert "cannot reach the database" in err and "s3cret" not in err and "***" in err
    with pytest.raises(StoreUnavailable, match="cannot reach"):
        PgRepository.open(url, timeout=0.5)


# ----- choosing the store -----------------------------------------------------------------------------
def test_the_url_selects_postgresql_and_its_pool_size(pg_url: str, tmp_path: Path) -> None:
    assert isinstance(open_repository(tmp_path / "data", None), TinyRepository)
    assert isinstance(open_repository(None, ""), TinyRepository)
    with pytest.raises(StoreUnavailable, match="postgresql://"):
        open_repository(None, "mysql://root:pw@localhost/itabot")
    with pytest.raises(StoreUnavailable, match="pool_max"):
        pool_options(pg_url + "&pool_max=lots")
    assert pool_options("postgresql://u@h/db?pool_min=2&sslmode=require&pool_max=3") == (
        "postgresql://u@h/db?sslmode=require", 2, 3
    )
    store = open_repository(tmp_path, pg_url + "&pool_max=3")
    try:
        assert isinstance(store, PgRepository) and store.pool.max_size == 3
        store.save_org(Organization(id="o1", name="ในฐานข้อมูล"))
        assert not (tmp_path / "registry.json").exists()  # nothing went to TinyDB files
    finally:
        store.close()


def test_a_chat_is_served_from_postgresql_across_a_restart(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ITABOT_DATABASE_URL", pg_url)
    clock = FixedClock(datetime(2026, 2, 10, 10, 0, tzinfo=BANGKOK))
    services = build_services(tmp_path, clock)
    repo = services.repo
    repo.save_org(Organization(id="o1", name="อบต.ทดสอบ"))
    repo.save_unit(Unit(id="u1", org_id="o1", name="กองคลัง"))
    repo.save_measures("o1", 2569, [Measure(id="m1", no=1, indicator="1", title="เผยแพร่ข้อมูลงบประมาณ", unit_ids=["u1"])])
    code = create_invite(repo, clock, "o1", "officer", ["u1"], name="สมหญิง").code
    chat = Chat(services.engine, "telegram", "501")
    assert "ลงทะเบียนเรียบร้อย" in chat.say(f"/start {code}")[0].text
    chat.say("/report")
    chat.press("1. เผยแพร่")
    chat.press("ดำเนินการ")
    chat.say("ประกาศแผนบนเว็บไซต์")
    services.repo.close()  # restart mid-conversation: the state is in the database
    services = build_services(tmp_path, clock)
    chat.engine = services.engine
    chat.say("/skip")
    chat.say("https://example.go.th/budget")
    chat.say("/done")
    chat.press("บันทึก")
    assert "บันทึกแล้ว" in chat.text
    entries = services.repo.list_reports("o1", 2569, 6, "m1")
    assert [(e.summary, e.revision, [x.url for x in e.evidence]) for e in entries] == [
        ("ประกาศแผนบนเว็บไซต์", 1, ["https://example.go.th/budget"])
    ]
    invite = services.repo.get_invite(code)
    assert invite is not None and invite.used_by and services.repo.find_identity("telegram", "501") == ("o1", invite.used_by)
    assert not (tmp_path / "registry.json").exists() and not (tmp_path / "orgs").exists()
    services.repo.close()


def test_the_admin_commands_work_on_the_hosted_database(
    repo: PgRepository, pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ITABOT_DATABASE_URL", pg_url)
    monkeypatch.chdir(tmp_path)
    repo.save_org(Organization(id="o1", name="อบต.ทดสอบ"))
    repo.save_unit(Unit(id="u1", org_id="o1", name="กองคลัง"))
    data = ["--data-dir", str(tmp_path)]
    assert cli(["import", "--template", "oit-2566", "--fiscal-year", "2569", "--yes", *data]) == 0
    assert cli(["invite", "--unit", "กองคลัง", "--name", "สมชาย", *data]) == 0
    code = capsys.readouterr().out.strip().splitlines()[-1]
    invite = repo.get_invite(code)
    assert invite is not None and invite.name == "สมชาย" and invite.unit_ids == ["u1"]
    measures = repo.list_measures("o1", 2569)
    assert len(measures) == 43
    assert cli(["plan", "--fiscal-year", "2569", *data]) == 0
    assert measures[-1].title[:30] in capsys.readouterr().out
    assert not (tmp_path / "registry.json").exists() and not (tmp_path / "orgs").exists()
