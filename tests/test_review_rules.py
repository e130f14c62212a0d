"""The review and approval rules of domain/review.py: what a head's decision means after the answers change."""

from __future__ import annotations

import dataclasses
from typing import Any

from domain import review as rv
from domain.status import round_statuses
from storage.models import Approval, Evidence, Measure, ReportEntry, Review, Unit

UNITS = [Unit("u1", "o1", "สำนักปลัด"), Unit("u2", "o1", "กองคลัง")]
SHARED = Measure("m1", 1, "1", "คู่มือการให้บริการ", unit_ids=["u1", "u2"])
ALONE = Measure("m2", 2, "2", "เผยแพร่แผนจัดซื้อ", unit_ids=["u2"])


def entry(n: int, measure_id: str = "m1", unit_id: str = "u1", round_no: int = 6, **over: Any) -> ReportEntry:
    """An answer saved at minute n of 1 April 2026."""
    fields: dict[str, Any] = dict(
        id=f"r{n}", org_id="o1", fiscal_year=2569, measure_id=measure_id, round=round_no, unit_id=unit_id,
        status="done", summary=f"ทำแล้ว {n}", created_at=f"2026-04-01T10:{n:02d}:00+07:00", revision=1,
    )
    fields.update(over)
    return ReportEntry(**fields)


def decision(state: str, measure_id: str = "m1", unit_id: str | None = "u1", minute: int = 30, rev: int = 1) -> Review:
    return Review("o1", 2569, 6, measure_id, unit_id, state, "แนบคำสั่งที่ลงนามแล้ว", "h1",
                  f"2026-04-01T10:{minute:02d}:00+07:00", rev)


def approval(digest: str, decision: str = "approved") -> Approval:
    return Approval("o1", 2569, 6, "p1", "นายปลัด", "telegram", "42", "2026-04-02T09:00:00+07:00", "ab" * 32,
                    digest, decision)


def test_digest_changes_with_any_answer_and_only_with_the_answer() -> None:
    answers = [entry(1), entry(2, unit_id="u2"), entry(3, measure_id="m2", unit_id="u2")]
    base = rv.answers_digest(answers)
    assert base == rv.answers_digest(list(reversed(answers)))  # order of listing does not matter
    resaved = dataclasses.replace(answers[0], id="r9", officer_name="อีกคน")  # same words, someone else saved
    assert rv.answers_digest([*answers[1:], resaved]) == base
    fixed = entry(10, summary="ทำแล้ว แนบคำสั่ง", revision=2)
    assert rv.answers_digest([*answers, fixed]) != base
    photo = entry(11, summary="ทำแล้ว 1", revision=2, evidence=[Evidence("e1", "photo", sha256="ff")])
    assert rv.answers_digest([*answers, photo]) != base


def test_digest_of_a_round_counts_carried_answers_and_ignores_later_rounds() -> None:
    earlier = entry(1, round_no=3)
    assert rv.answers_digest([earlier], 6) == rv.answers_digest([dataclasses.replace(earlier, round=6)], 6)
    assert rv.answers_digest([earlier, entry(2, round_no=9)], 6) == rv.answers_digest([earlier], 6)
    assert rv.answers_digest([earlier, entry(2, round_no=6)], 6) != rv.answers_digest([earlier], 6)


def test_a_returned_answer_waits_until_the_unit_saves_again() -> None:
    answers = [entry(1), entry(2, unit_id="u2"), entry(3, measure_id="m2", unit_id="u2")]
    reviews = [decision("returned")]
    states = rv.review_states(round_statuses([SHARED, ALONE], UNITS, answers, 6), reviews)
    assert states == {"m1": rv.RETURNED, "m2": rv.UNREVIEWED}
    assert rv.count_returned(round_statuses([SHARED, ALONE], UNITS, answers, 6), reviews) == 1
    answers.append(entry(40, revision=2))  # the officer's next revision clears the request
    states = rv.review_states(round_statuses([SHARED, ALONE], UNITS, answers, 6), reviews)
    assert states["m1"] == rv.REVISED
    assert rv.count_returned(round_statuses([SHARED, ALONE], UNITS, answers, 6), reviews) == 0


def test_a_measure_is_accepted_only_when_every_units_answer_is() -> None:
    answers = [entry(1), entry(2, unit_id="u2")]
    statuses = round_statuses([SHARED], UNITS, answers, 6)
    assert rv.review_states(statuses, [decision("accepted")]) == {"m1": rv.UNREVIEWED}
    both = [decision("accepted"), decision("accepted", unit_id="u2")]
    assert rv.review_states(statuses, both) == {"m1": rv.ACCEPTED}
    assert rv.review_states(statuses, [decision("accepted", unit_id=None)]) == {"m1": rv.ACCEPTED}
    later = [*both, decision("returned", unit_id="u2", minute=50)]  # the newest decision counts
    assert rv.review_states(statuses, later) == {"m1": rv.RETURNED}


def test_approval_holds_for_the_answers_it_was_given_on() -> None:
    assert rv.approval_state([], "d1") == rv.NO_APPROVAL and rv.current_approval([], "d1") is None
    given = approval("d1")
    assert rv.approval_state([given], "d1") == rv.APPROVED and rv.current_approval([given], "d1") == given
    assert rv.approval_state([given], "d2") == rv.OUTDATED and rv.current_approval([given], "d2") is None
    sent_back = approval("d1", "returned")
    assert rv.approval_state([given, sent_back], "d1") == rv.NO_APPROVAL
    again = approval("d2")
    assert rv.current_approval([given, sent_back, again], "d2") == again
    assert rv.last_decision([given, sent_back]) == sent_back
