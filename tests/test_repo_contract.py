"""One contract, every backend: TinyDB in memory, TinyDB files and PostgreSQL behave the same to callers."""

from __future__ import annotations

import dataclasses
import threading
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from storage.factory import Store
from storage.models import (
    Approval,
    Evidence,
    Identity,
    Invite,
    Measure,
    Officer,
    Organization,
    ReportEntry,
    Review,
    SendRecord,
    Unit,
)
from storage.tinydb_repo import TinyRepository

BACKENDS = [  # each in its own pass of the suite (tests/conftest.py)
    pytest.param("tinydb-memory", marks=pytest.mark.backend("tinydb")),
    pytest.param("tinydb-files", marks=pytest.mark.backend("tinydb")),
    pytest.param("postgresql", marks=pytest.mark.backend("postgresql")),
]


@dataclass
class Backend:
    """A repository under test and how to open the same store again (a restart)."""

    name: str
    repo: Store
    reopen: Callable[[], Store]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """Each contract test runs once per backend."""
    opened: list[Store] = []

    def track(repo: Store) -> Store:
        opened.append(repo)
        return repo

    if request.param == "tinydb-memory":
        memory = TinyRepository(None)
        yield Backend(request.param, memory, lambda: memory)
    elif request.param == "tinydb-files":
        yield Backend(request.param, track(TinyRepository(tmp_path)), lambda: track(TinyRepository(tmp_path)))
    else:
        from storage.pg_repo import PgRepository

        url = request.getfixturevalue("pg_url")
        yield Backend(request.param, track(PgRepository.open(url)), lambda: track(PgRepository.open(url)))
    for repo in opened:
        repo.close()


@pytest.fixture
def repo(backend: Backend) -> Store:
    """The backend's repository."""
    return backend.repo


def filled(cls: type[Any], n: int = 1, **fixed: Any) -> Any:
    """A record with every field set away from its default, so a field added to the model is covered too."""
    values: dict[str, Any] = {}
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        kind = hints[f.name]
        if f.name in fixed:
            values[f.name] = fixed[f.name]
        elif kind is str:
            values[f.name] = f"{f.name} ทดสอบ ๑๒ “{n}”"
        elif kind is bool:
            default = f.default if f.default is not dataclasses.MISSING else False
            values[f.name] = not default
        elif kind is int:
            values[f.name] = 1000 + n
        elif kind == list[str]:
            values[f.name] = [f"{f.name}-{n}", "ที่สอง"]
        elif kind == list[int]:
            values[f.name] = [6, 12]
        elif kind == list[Identity]:
            values[f.name] = [filled(Identity, n), filled(Identity, n + 1)]
        elif kind == dict[str, list[str]]:
            values[f.name] = {f"องค์ประกอบ {n}": [f"e{n}", "e2"], "ข้อเสนอแนะ": []}
        elif kind == list[Evidence]:
            values[f.name] = [filled(Evidence, n, kind="url"), filled(Evidence, n + 1, kind="file")]
        else:
            raise AssertionError(f"teach filled() the type of {cls.__name__}.{f.name}: {kind}")
    return cls(**values)


def report(n: int = 1, **over: Any) -> ReportEntry:
    """A minimal report entry."""
    fields: dict[str, Any] = dict(
        id=f"r{n}", org_id="o1", fiscal_year=2569, measure_id="m1", round=6, unit_id="u1", status="done"
    )
    fields.update(over)
    return ReportEntry(**fields)


def measure(i: int, **over: Any) -> Measure:
    """A minimal measure."""
    return Measure(**{"id": f"m{i}", "no": i, "indicator": "1", "title": f"มาตรการ {i}", **over})


# ----- organizations, units, people -------------------------------------------------------------------
def test_orgs_keep_creation_order_and_update_in_place(backend: Backend) -> None:
    repo = backend.repo
    assert repo.list_orgs() == [] and repo.get_org("o1") is None
    first, second = filled(Organization, 1, id="o1"), filled(Organization, 2, id="o2")
    repo.save_org(first)
    repo.save_org(second)
    repo.save_org(dataclasses.replace(first, name="อบต.แก้ชื่อ"))
    again = backend.reopen()
    assert [o.id for o in again.list_orgs()] == ["o1", "o2"]
    assert again.get_org("o1") == dataclasses.replace(first, name="อบต.แก้ชื่อ")
    assert again.get_org("o2") == second


def test_units_and_officers_round_trip_every_field_per_organization(backend: Backend) -> None:
    repo = backend.repo
    units = [filled(Unit, i, id=f"u{i}", org_id="o1") for i in (3, 1, 2)]
    for unit in units:
        repo.save_unit(unit)
    repo.save_unit(filled(Unit, 9, id="u1", org_id="o2"))
    alice, bob = filled(Officer, 1, id="p1", org_id="o1"), filled(Officer, 2, id="p2", org_id="o1")
    repo.save_officer(alice)
    repo.save_officer(bob)
    repo.save_officer(dataclasses.replace(alice, role="head", unit_ids=["u2"]))
    again = backend.reopen()
    assert again.list_units("o1") == units  # creation order, not id order
    assert [u.name for u in again.list_units("o2")] == [filled(Unit, 9).name]
    assert again.list_officers("o1") == [dataclasses.replace(alice, role="head", unit_ids=["u2"]), bob]
    assert again.get_officer("o1", "p2") == bob
    assert again.get_officer("o2", "p2") is None and again.list_officers("o2") == []


def test_identity_index_links_relinks_and_misses(repo: Store) -> None:
    assert repo.find_identity("telegram", "42") is None
    repo.link_identity("telegram", "42", "o1", "p1")
    repo.link_identity("line", "42", "o2", "p9")
    assert repo.find_identity("telegram", "42") == ("o1", "p1")
    repo.link_identity("telegram", "42", "o3", "p3")
    assert repo.find_identity("telegram", "42") == ("o3", "p3")
    assert repo.find_identity("line", "42") == ("o2", "p9")
    assert repo.find_identity("telegram", "43") is None


def test_invites_are_stored_by_code_and_updated(repo: Store) -> None:
    assert repo.get_invite("ABC123") is None
    invite = filled(Invite, 1, code="ABC123", used_by="", used_at="")
    repo.save_invite(invite)
    assert repo.get_invite("ABC123") == invite
    repo.save_invite(dataclasses.replace(invite, used_by="p1", used_at="2026-01-05T09:00:00+07:00"))
    stored = repo.get_invite("ABC123")
    assert stored is not None and (stored.used_by, stored.used_at) == ("p1", "2026-01-05T09:00:00+07:00")
    assert repo.get_invite("abc123") is None  # codes are exact; callers normalize case


# ----- plans ------------------------------------------------------------------------------------------
def test_plan_is_sorted_replaced_whole_and_kept_per_year(backend: Backend) -> None:
    repo = backend.repo
    assert repo.fiscal_years("o1") == [] and repo.list_measures("o1", 2569) == []
    plan = [filled(Measure, i, id=f"m{i}", no=i) for i in (3, 1, 2)]
    repo.save_measures("o1", 2570, [measure(1)])
    repo.save_measures("o1", 2569, plan)
    repo.add_report(report())
    assert [m.id for m in repo.list_measures("o1", 2569)] == ["m1", "m2", "m3"]
    assert repo.list_measures("o1", 2569)[0] == plan[1]
    repo.save_measures("o1", 2569, [measure(7, no=2), measure(5, no=2), measure(1, title="แก้ไข")])
    again = backend.reopen()
    assert [(m.no, m.id) for m in again.list_measures("o1", 2569)] == [(1, "m1"), (2, "m5"), (2, "m7")]
    assert again.list_measures("o1", 2569)[0].title == "แก้ไข"
    assert [m.id for m in again.list_measures("o1", 2570)] == ["m1"]
    assert again.fiscal_years("o1") == [2569, 2570] and again.fiscal_years("o2") == []
    assert [r.id for r in again.list_reports("o1", 2569)] == ["r1"]  # a new plan never touches reports


@pytest.mark.parametrize(
    "backend",
    [
        "tinydb-files",  # one atomic write since the durable-inbox branch
        "postgresql",
    ],
    indirect=True,
)
def test_failed_plan_replacement_leaves_the_old_plan(backend: Backend) -> None:
    # in-memory TinyDB never serializes, so nothing can fail half-way there; the stores that write can
    repo = backend.repo
    old = [measure(i) for i in (1, 2, 3)]
    repo.save_measures("o1", 2569, old)
    broken = [measure(1, title="ใหม่"), measure(2), measure(3, steps="\ud800 เสีย")]  # lone surrogate: unstorable
    import psycopg

    with pytest.raises((UnicodeError, ValueError, psycopg.DataError)):
        repo.save_measures("o1", 2569, broken)
    assert backend.reopen().list_measures("o1", 2569) == old


# ----- reports ----------------------------------------------------------------------------------------
def test_reports_append_revisions_per_measure_round_and_unit(backend: Backend) -> None:
    repo = backend.repo
    first = repo.add_report(filled(ReportEntry, 1, id="r1", fiscal_year=2569, round=6, revision=99))
    assert first.revision == 1  # the store numbers revisions, whatever the caller put there
    key = dict(org_id=first.org_id, measure_id=first.measure_id, unit_id=first.unit_id, fiscal_year=2569)
    assert repo.add_report(report(2, round=6, **key)).revision == 2
    assert repo.add_report(report(3, round=9, **key)).revision == 1
    assert repo.add_report(report(4, round=6, **{**key, "unit_id": "other"})).revision == 1
    assert repo.add_report(report(5, round=6, **key)).revision == 3
    again = backend.reopen()
    everything = again.list_reports(first.org_id, 2569)
    assert [(r.id, r.revision) for r in everything] == [("r1", 1), ("r2", 2), ("r3", 1), ("r4", 1), ("r5", 3)]
    assert everything[0] == first  # every field, evidence included
    assert [r.id for r in again.list_reports(first.org_id, 2569, 6)] == ["r1", "r2", "r4", "r5"]
    assert [r.id for r in again.list_reports(first.org_id, 2569, 6, first.measure_id)] == ["r1", "r2", "r4", "r5"]
    assert [r.id for r in again.list_reports(first.org_id, 2569, None, "nothing")] == []
    assert again.list_reports(first.org_id, 2570) == [] and again.list_reports("o-other", 2569) == []


def test_a_listed_report_is_the_callers_copy(repo: Store) -> None:
    repo.add_report(report(evidence=[Evidence(id="e1", kind="url", url="https://example.go.th/a")]))
    listed = repo.list_reports("o1", 2569)[0]
    listed.summary = "changed"
    listed.evidence.append(Evidence(id="e2", kind="url", url="https://example.go.th/b"))
    stored = repo.list_reports("o1", 2569)[0]
    assert stored.summary == "" and [e.id for e in stored.evidence] == ["e1"]


def test_concurrent_saves_never_share_a_revision(repo: Store) -> None:
    threads, each = 6, 5
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def save(t: int) -> None:
        try:
            barrier.wait()
            for i in range(each):
                repo.add_report(report(t * 100 + i))
        except BaseException as exc:  # surfaced below, not lost in the thread
            errors.append(exc)

    workers = [threading.Thread(target=save, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert errors == []
    assert sorted(r.revision for r in repo.list_reports("o1", 2569)) == list(range(1, threads * each + 1))


def test_user_text_with_a_nul_character_is_saved(repo: Store) -> None:
    # chat text may carry NUL, which PostgreSQL text cannot hold: the save must not fail, the words survive
    repo.add_report(report(summary="ประชุม\x00แล้ว"))
    repo.set_state("o1", "telegram:1", {"draft": "ร่าง\x00"})
    assert repo.list_reports("o1", 2569)[0].summary.replace("\x00", "") == "ประชุมแล้ว"
    state = repo.get_state("o1", "telegram:1")
    assert state is not None and state["draft"].replace("\x00", "") == "ร่าง"


# ----- review decisions and approvals -----------------------------------------------------------------
def review(n: int, **over: Any) -> Review:
    """A review decision with every field set."""
    fields: dict[str, Any] = dict(
        org_id="o1", fiscal_year=2569, round_no=6, measure_id=f"m{n}", unit_id=f"u{n}", state="returned",
        comment=f"ส่งกลับแก้ไข: แนบคำสั่งที่ลงนามแล้ว {n}", reviewer_id="h1", at=f"2026-04-0{n}T10:00:00+07:00",
        answer_revision=n,
    )
    fields.update(over)
    return Review(**fields)


def test_reviews_are_kept_in_order_per_year_and_round(backend: Backend) -> None:
    repo = backend.repo
    assert repo.list_reviews("o1", 2569) == []
    first, whole = review(1), review(2, unit_id=None, state="accepted", comment="")
    repo.add_review(first)
    repo.add_review(whole)
    repo.add_review(review(3, round_no=9))
    repo.add_review(review(4, fiscal_year=2570))
    repo.add_review(review(1, org_id="o2"))
    repo.add_review(first)  # a second decision, even an identical one, is history too
    again = backend.reopen()
    assert again.list_reviews("o1", 2569, 6) == [first, whole, first]
    assert [r.measure_id for r in again.list_reviews("o1", 2569)] == ["m1", "m2", "m3", "m1"]
    assert again.list_reviews("o1", 2569, 9) == [review(3, round_no=9)]
    assert again.list_reviews("o1", 2570) == [review(4, fiscal_year=2570)]
    assert again.list_reviews("o2", 2569) == [review(1, org_id="o2")]
    assert again.list_reviews("o1", 2569, 12) == []


def test_approvals_keep_their_history_every_field_included(backend: Backend) -> None:
    repo = backend.repo
    assert repo.list_approvals("o1", 2569) == []
    approved = filled(Approval, 1, org_id="o1", fiscal_year=2569, round_no=6, decision="approved")
    returned = filled(Approval, 2, org_id="o1", fiscal_year=2569, round_no=6, decision="returned")
    other_round = filled(Approval, 3, org_id="o1", fiscal_year=2569, round_no=12)
    for a in (approved, returned, other_round, filled(Approval, 4, org_id="o1", fiscal_year=2570, round_no=6)):
        repo.add_approval(a)
    again = backend.reopen()
    assert again.list_approvals("o1", 2569, 6) == [approved, returned]
    assert again.list_approvals("o1", 2569) == [approved, returned, other_round]
    assert again.list_approvals("o1", 2569, 9) == [] and again.list_approvals("o9", 2569) == []


# ----- conversation state, send log, settings ----------------------------------------------------------
def test_conversation_state_is_stored_per_chat_and_forgotten(backend: Backend) -> None:
    repo = backend.repo
    assert repo.get_state("o1", "telegram:1") is None
    state = {"flow": "report", "step": 3, "draft": {"evidence": ["a", "ข"], "done": True, "n": None}}
    repo.set_state("o1", "telegram:1", state)
    repo.set_state("o1", "line:U1", {"flow": "menu"})
    repo.set_state("o2", "telegram:1", {"flow": "other org"})
    got = repo.get_state("o1", "telegram:1")
    assert got == state
    assert got is not None
    got["step"] = 99  # the caller's copy
    assert backend.reopen().get_state("o1", "telegram:1") == state
    repo.set_state("o1", "telegram:1", {"flow": "report", "step": 4})
    assert repo.get_state("o1", "telegram:1") == {"flow": "report", "step": 4}
    repo.set_state("o1", "telegram:1", None)
    repo.set_state("o1", "telegram:never", None)  # forgetting nothing is fine
    again = backend.reopen()
    assert again.get_state("o1", "telegram:1") is None
    assert again.get_state("o1", "line:U1") == {"flow": "menu"}
    assert again.get_state("o2", "telegram:1") == {"flow": "other org"}


def test_send_log_upserts_by_key_per_year(backend: Backend) -> None:
    repo = backend.repo
    assert repo.get_send("o1", 2569, "k1") is None and repo.list_sends("o1", 2569) == []
    sending = filled(SendRecord, 1, key="k1", org_id="o1", fiscal_year=2569, result="sending", attempts=1)
    repo.log_send(sending)
    repo.log_send(filled(SendRecord, 2, key="k2", org_id="o1", fiscal_year=2569))
    repo.log_send(filled(SendRecord, 3, key="k1", org_id="o1", fiscal_year=2570))
    repo.log_send(dataclasses.replace(sending, result="sent", attempts=2))
    again = backend.reopen()
    assert [(s.key, s.result) for s in again.list_sends("o1", 2569)] == [("k1", "sent"), ("k2", filled(SendRecord, 2).result)]
    assert again.get_send("o1", 2569, "k1") == dataclasses.replace(sending, result="sent", attempts=2)
    assert [s.key for s in again.list_sends("o1", 2570)] == ["k1"]
    assert again.get_send("o2", 2569, "k1") is None


def test_settings_hold_any_json_value_per_organization(backend: Backend) -> None:
    repo = backend.repo
    assert repo.get_setting("o1", "policy") is None and repo.get_setting("o1", "policy", {"x": 1}) == {"x": 1}
    value = {"weekdays": [0, 2, 4], "quiet": {"from": "18:00"}, "on": True, "ratio": 0.5}
    repo.set_setting("o1", "policy", value)
    repo.set_setting("o1", "line_pushes", 7)
    repo.set_setting("o1", "cleared", None)
    repo.set_setting("o2", "policy", "อื่น")
    got = repo.get_setting("o1", "policy")
    got["weekdays"].append(6)  # the caller's copy
    again = backend.reopen()
    assert again.get_setting("o1", "policy") == value
    assert again.get_setting("o1", "line_pushes") == 7
    assert again.get_setting("o1", "cleared", "default") is None  # stored None is a value, not a miss
    assert again.get_setting("o2", "policy") == "อื่น"
    repo.set_setting("o1", "line_pushes", 8)
    assert repo.get_setting("o1", "line_pushes") == 8
