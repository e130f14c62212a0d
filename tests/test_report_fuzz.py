"""Issue 14: random taps, numbers, words, files and commands never strand an officer mid-report.

Seeded generators drive 2,000 random sequences (in four parts) of valid and invalid inputs through the engine. After
every input: no internal error, and a step that has buttons shows them. After every sequence a user-like
finisher, who only looks at the screen, must get a report saved. Every saved revision must be one the
officer confirmed: บันทึก on a recap showing that very answer, or ยังเป็นเหมือนเดิม on a carried one.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest

from domain.events import Button, Reply
from handlers.matching import match_button
from handlers.texts import t
from storage.clock import BANGKOK
from storage.models import ReportEntry
from tests.factory import Chat, Office, empty_store, make_office

SEED = 20261201
SEQUENCES = int(os.environ.get("FUZZ_SEQUENCES", "2000"))
PARTS = 4  # each its own seed, so that the parts run side by side on pytest-xdist workers
PER_OFFICE = 10  # a fresh office now and then keeps the in-memory year small (and fast)
BUTTON_STEPS = {"list", "unit", "status", "confirm", "edit", "cancel", "evidence", "dated"}
COMMANDS = ["/skip", "/done", "/help", "/cancel", "/report", "/status", "/lang en", "/lang th", "/frob", "/start"]
WORDS = ["ทำแล้ว", "ไม่แน่ใจ", "   ", "ก" * 4100, "ดำเนินการ", "ด\u0e4d\u0e32เนินการ", "บันทึก", "ยกเลิก", "กลับ",
         "ดูที่ www.example.go.th/a", "https://example.go.th/x ภาพกิจกรรม", "ftp://example.com/f", "javascript:alert(1)",
         "ข้าม", "คงเดิม", "Save", "Done", "ลบข้อ 1", "0", "99", "๒", "๑๓", "-1", "3.", "ยังเป็นเหมือนเดิม",
         "12 ม.ค. 2569", "31/2/2569", "๑/๑๐/๒๕๖๘", "1/1/2570", "วันนี้", "ไม่ทราบ"]
NOW = [datetime(2026, 2, 10, 10, 0, tzinfo=BANGKOK), datetime(2026, 8, 20, 10, 0, tzinfo=BANGKOK)]  # rounds 6, 12


def label(key: str) -> set[str]:
    """A button label in both languages."""
    return {t("th", key), t("en", key)}


SAVE, SAME, ERRORS = label("btn_save"), label("btn_same"), label("error")
FINISHER_ORDER = [label(k) for k in ("btn_save", "btn_same", "btn_update", "btn_cancel_no", "btn_back_recap",
                                     "btn_finish_evidence", "btn_keep", "btn_skip", "btn_done", "btn_date_unknown")]
UNIT_QUESTION, NOTHING_OPEN = label("choose_unit"), label("idle_text") | label("all_done") | label("cancelled")


@dataclass
class Run:
    """One officer's chat in one office, with what the fuzz has seen so far."""

    office: Office
    chat: Chat
    rng: random.Random
    seen: list[Button] = field(default_factory=list)
    screen: list[Reply] = field(default_factory=list)
    saved: list[ReportEntry] = field(default_factory=list)

    def __post_init__(self) -> None:
        """Note every revision the engine appends (reading the year back after each input is too slow)."""
        append = self.office.repo.add_report

        def add_report(entry: ReportEntry) -> ReportEntry:
            self.saved.append(entry)
            return append(entry)

        self.office.repo.add_report = add_report  # type: ignore[method-assign]

    def reports(self) -> list[ReportEntry]:
        return list(self.saved)

    def state(self) -> dict[str, Any] | None:
        return self.office.repo.get_state("o1", "test:fz")

    def step(self, kind: str, value: str | bytes | None = None) -> list[Reply]:
        """Send one input, check the invariants, remember the new screen."""
        before = self.reports()
        shown, shown_buttons = "\n".join(r.text for r in self.screen), [b for r in self.screen for b in r.flat_buttons()]
        pressed: Button | None = None
        if kind == "press":
            assert isinstance(value, str)
            pressed = next((b for b in shown_buttons if b.data == value), None)
            replies = self.chat.press_data(value)
        elif kind == "file":
            data = value if isinstance(value, bytes) else None  # None: too big to download
            replies = self.chat.send_file("หลักฐาน.pdf", data, "application/pdf", 50 * 1024 * 1024 if data is None else 0)
        else:
            assert isinstance(value, str)
            pressed = match_button(value, shown_buttons) if not value.startswith("/") else None
            replies = self.chat.say(value)
        texts = "\n".join(r.text for r in replies)
        assert not any(e in texts for e in ERRORS), texts
        after = self.reports()
        assert len(after) - len(before) in (0, 1), "one input saved more than one revision"
        if len(after) > len(before):
            self._check_confirmed(after[-1], pressed, shown, shown_buttons)
        st = None if any(r.buttons for r in replies) else self.state()
        if st and st.get("flow") == "report" and st.get("step") in BUTTON_STEPS:
            raise AssertionError(f"dead end at {st.get('step')}: {texts[:300]}")
        self.screen = replies
        self.seen += [b for r in replies for b in r.flat_buttons()]
        self.seen = self.seen[-60:]
        return replies

    def _check_confirmed(self, entry: ReportEntry, pressed: Button | None, shown: str, buttons: list[Button]) -> None:
        """A new revision came from บันทึก on its own recap, or from ยังเป็นเหมือนเดิม on its carried answer."""
        assert pressed is not None and any(b.data == pressed.data for b in buttons), "saved by a button not on screen"
        if entry.confirmed_from:
            assert pressed.label in SAME
            earlier = [e for e in self.reports() if e.round == entry.confirmed_from and e.measure_id == entry.measure_id
                       and e.unit_id == entry.unit_id]
            carried = max(earlier, key=lambda e: (e.created_at, e.revision))
            assert (carried.status, carried.summary, carried.reason, carried.evidence) == (
                entry.status, entry.summary, entry.reason, entry.evidence)
            return
        assert pressed.label in SAVE
        lang = "en" if "Review before saving" in shown else "th"
        assert t(lang, "recap", measure="", unit="", round="", status="").split("\n")[0] in shown
        assert t(lang, "recap_evidence", count=len(entry.evidence)) in shown
        for text in (entry.summary, entry.outcome, entry.reason, entry.suggestion):
            assert " ".join(text.split())[:40] in shown
        for ev in entry.evidence:  # every item saved was listed
            assert (ev.url or ev.name)[:40] in shown


def random_input(run: Run) -> tuple[str, str | bytes | None]:
    """One input an officer might send: mostly a tap on screen, often something wrong."""
    rng = run.rng
    buttons = [b for r in run.screen for b in r.flat_buttons()]
    roll = rng.random()
    if roll < 0.35 and buttons:
        return "press", rng.choice(buttons).data
    if roll < 0.42 and run.seen:
        return "press", rng.choice(run.seen).data  # an older keyboard
    if roll < 0.46:
        nonce = buttons[0].data.split(":")[0] if buttons else "abcd"
        name = rng.choice([*"msawvexqbgzkfcpluo", "dt", "cv"])
        return "press", f"{nonce}:{name}:{rng.choice(['', 'x', 'm1', 'status', 'd', '9', 't', 'u'])}"
    if roll < 0.56 and buttons:
        pick = rng.choice(buttons).label
        return "text", rng.choice([pick, pick.replace("ำ", "\u0e4d\u0e32"), str(buttons.index(rng.choice(buttons)) + 1)])
    if roll < 0.64:
        return "file", rng.choice([b"%PDF-1.4 " + bytes([rng.randrange(256)]) * 8, None, b""])
    if roll < 0.80:
        return "text", rng.choice(COMMANDS)
    return "text", rng.choice(WORDS) if rng.random() < 0.7 else f"ทำแล้ว {rng.randrange(1000)}"


def finish(run: Run) -> None:
    """A user who only reads the screen gets a report saved with valid input."""
    start = len(run.reports())
    for _ in range(30):
        if len(run.reports()) > start:
            return
        buttons = [b for r in run.screen for b in r.flat_buttons()]
        text = "\n".join(r.text for r in run.screen)
        choice = next((b for labels in FINISHER_ORDER for b in buttons if b.label in labels), None)
        if choice is None and buttons and any(m in text for m in UNIT_QUESTION):
            choice = buttons[0]
        if choice is None and buttons:
            choice = next((b for b in buttons if b.label.lstrip("✅ ")[:1].isdigit()), None)
        if choice is not None:
            run.step("press", choice.data)
        elif not buttons and any(m in text for m in NOTHING_OPEN):
            run.step("text", "/report")
        elif not buttons:
            run.step("text", "ทำแล้ว")
        else:
            run.step("text", "/cancel")  # a screen the finisher does not know: start over, as a person would
    raise AssertionError(f"could not finish a report from: {[b.label for b in run.screen[-1].flat_buttons()]} "
                         f"{run.screen[-1].text[:300] if run.screen else ''}")


@pytest.mark.parametrize("part", range(PARTS))
def test_random_inputs_never_strand_the_officer_nor_save_unconfirmed(part: int) -> None:
    """SEQUENCES in all, in PARTS seeded parts that pytest-xdist spreads over its workers."""
    rng = random.Random(SEED + part)
    run: Run | None = None
    saved = 0
    count = SEQUENCES // PARTS + (part < SEQUENCES % PARTS)
    for n in range(count):
        if n % PER_OFFICE == 0:
            saved += len(run.saved) if run else 0
            if run:
                run.office.repo.close()
            empty_store()  # each office starts on a store of its own
            office = make_office(now=NOW[(n // PER_OFFICE + part) % len(NOW)])
            chat = office.register("fz", "officer", "กองคลัง", "สำนักปลัด")
            run = Run(office, chat, random.Random(rng.random()))
            run.step("text", "/report")
        assert run is not None
        for _ in range(rng.randint(1, 6)):
            kind, value = random_input(run)
            run.step(kind, value)
        finish(run)
    assert run is not None and saved + len(run.saved) >= count  # every sequence ended in a saved report
