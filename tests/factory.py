"""Test data builders: an office with units, a plan, people and a chat driver — fakes, no mocks."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from domain.events import Attachment, Button, Incoming, Reply
from handlers.engine import Engine
from handlers.services import create_invite
from storage.clock import BANGKOK, FixedClock
from storage.evidence import EvidenceStore
from storage.factory import Store, open_repository
from storage.models import Measure, Organization, Unit
from storage.tinydb_repo import TinyRepository
from tests.tools import suite_backend

UNITS = ["สำนักปลัด", "กองคลัง", "กองช่าง"]


@dataclass
class Office:
    """An organization in a repository, with an engine and a clock, ready for chats."""

    repo: Store
    evidence: EvidenceStore
    clock: FixedClock
    engine: Engine
    org: Organization
    units: dict[str, Unit]
    measures: list[Measure] = field(default_factory=list)

    def invite(self, role: str, *unit_names: str, name: str = "") -> str:
        """A fresh invite code."""
        ids = [self.units[n].id for n in unit_names]
        return create_invite(self.repo, self.clock, self.org.id, role, ids, name=name).code

    def chat(self, user_id: str, platform: str = "test") -> Chat:
        """A driver for one chat account."""
        return Chat(self.engine, platform, user_id)

    def register(self, user_id: str, role: str, *unit_names: str, name: str = "") -> Chat:
        """A registered chat account."""
        chat = self.chat(user_id)
        replies = chat.say(f"/start {self.invite(role, *unit_names, name=name or user_id)}")
        assert "ลงทะเบียนเรียบร้อย" in replies[0].text, replies[0].text
        return chat


@dataclass
class Chat:
    """Pushes messages in and pops replies, remembering the last buttons like a phone screen."""

    engine: Engine
    platform: str
    user_id: str
    last: list[Reply] = field(default_factory=list)

    def _send(self, event: Incoming) -> list[Reply]:
        self.last = self.engine.handle(event)
        return self.last

    def say(self, text: str) -> list[Reply]:
        """Type a line."""
        return self._send(Incoming.from_text(self.platform, self.user_id, text, chat_id=self.user_id))

    def buttons(self) -> list[Button]:
        """Buttons of the latest replies."""
        return [b for r in self.last for b in r.flat_buttons()]

    def press(self, label_part: str) -> list[Reply]:
        """Press the button with exactly that label, else the first whose label contains the text."""
        for b in self.buttons():
            if b.label == label_part:
                return self.press_data(b.data)
        for b in self.buttons():
            if label_part in b.label:
                return self.press_data(b.data)
        raise AssertionError(f"no button {label_part!r} in {[b.label for b in self.buttons()]}")

    def press_data(self, data: str) -> list[Reply]:
        """Press a button by its raw data (stale or forged ones too)."""
        return self._send(Incoming(self.platform, self.user_id, "button", data=data, chat_id=self.user_id))

    def send_file(self, name: str, data: bytes | None, mime: str = "", size: int = 0) -> list[Reply]:
        """Send an attachment (data None: too big to download)."""
        att = Attachment(name=name, data=data, mime=mime, size=size or len(data or b""))
        return self._send(Incoming(self.platform, self.user_id, "file", attachments=[att], chat_id=self.user_id))

    @property
    def text(self) -> str:
        """All text of the latest replies."""
        return "\n".join(r.text for r in self.last)


def open_store(data_dir: Path | None) -> Store:
    """The store a test works on: TinyDB under data_dir (None: memory), or in the PostgreSQL pass the test's database.

    Evidence files stay under data_dir either way; tests/conftest.py closes the PostgreSQL pool after the test.
    """
    url = os.environ.get("ITABOT_DATABASE_URL", "")
    if suite_backend() != "postgresql" or not url:
        return TinyRepository(data_dir)
    if data_dir is not None:  # as TinyDB would: evidence, exports and link_secret live there on PostgreSQL too
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    repo = open_repository(data_dir, url)
    repo.test_owned = True  # type: ignore[attr-defined]  # not a leak of the code under test
    return repo


def empty_store() -> None:
    """Start over with nothing stored: a new in-memory TinyDB is that already; on PostgreSQL empty the test's database."""
    from tests.pg import RUNNING

    if suite_backend() == "postgresql" and RUNNING:
        RUNNING[0].emptied()


def make_office(
    data_dir: Path | None = None, now: datetime | None = None, measures: int = 4, exports: bool = False,
    tinydb: bool = False,
) -> Office:
    """An office with three units and a plan for FY 2569; the clock sits in round 6 (tinydb: TinyDB files always)."""
    clock = FixedClock(now or datetime(2026, 2, 10, 10, 0, tzinfo=BANGKOK))
    repo = TinyRepository(data_dir) if tinydb else open_store(data_dir)
    evidence = EvidenceStore(data_dir / "evidence" if data_dir else None, max_bytes=1024 * 1024)
    org = Organization(id="o1", name="อบต.ทดสอบ", district="เมือง", province="ศรีสะเกษ")
    repo.save_org(org)
    units = {}
    for i, name in enumerate(UNITS):
        unit = Unit(id=f"u{i}", org_id=org.id, name=name)
        repo.save_unit(unit)
        units[name] = unit
    plan = [
        Measure(id="m1", no=1, indicator="1", title="จัดทำคู่มือการปฏิบัติงาน", steps="1. จัดทำ 2. เผยแพร่", all_units=True, period="ต.ค. 68 - ก.ย. 69"),
        Measure(id="m2", no=2, indicator="2", title="เผยแพร่ข้อมูลงบประมาณ", unit_ids=["u1"], period="ต.ค. 68 - ก.ย. 69"),
        Measure(id="m3", no=3, indicator="3", title="มาตรการใช้อำนาจ", unit_ids=["u0"], rounds=[6, 12]),
        Measure(id="m4", no=4, indicator="9", title="เปิดเผยข้อมูล OIT", unit_ids=["u0"], rounds=[12]),
    ]
    for i in range(5, measures + 1):
        plan.append(Measure(id=f"m{i}", no=i, indicator=str((i % 10) + 1), title=f"มาตรการที่ {i}", unit_ids=["u0"]))
    repo.save_measures(org.id, 2569, plan[:measures] if measures < 4 else plan)
    exports_dir = (data_dir / "exports") if (exports and data_dir) else None
    engine = Engine(repo, evidence, clock, exports_dir=exports_dir)
    return Office(repo, evidence, clock, engine, org, units, plan)
