"""Benchmark data: many organizations' full-year data written fast, and a small chat driver for the Engine.

Each organization: 5 units, 4 officers per unit plus a head (all on Telegram), a plan of 53 measures
(every tenth for every unit, a third monitored only at the 6- and 12-month rounds), and every round of
FY 2569 answered: each (measure, unit) with 1-4 revisions, each revision with 1-3 evidence items
(links, and files from a small pool of stored bytes). Records are the storage models' own dicts
(`to_dict`), written with TinyDB + `AtomicJSONStorage` (the classes `TinyRepository` uses) in one
durable write per file, because appending 700 revisions one by one through `add_report` rewrites the
file 700 times; `check_readable` then reads an organization back through the repository API.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from tinydb import TinyDB
from tinydb.storages import MemoryStorage

from domain.events import Incoming, Reply
from domain.fiscal import get_round
from handlers.engine import Engine
from storage.atomic import AtomicJSONStorage
from storage.clock import BANGKOK
from storage.evidence import EvidenceStore
from storage.models import (
    ROUNDS,
    Evidence,
    Identity,
    Measure,
    Officer,
    Organization,
    ReportEntry,
    Unit,
    new_id,
    now_iso,
    to_dict,
)
from storage.tinydb_repo import TinyRepository

__all__ = [
    "FISCAL_YEAR",
    "NOW",
    "OFFICERS_PER_UNIT",
    "Chat",
    "OrgData",
    "build_data_dir",
    "check_readable",
    "load_users",
    "evidence_pool",
    "make_org",
    "org_id",
    "telegram_user",
    "write_orgs",
    "write_registry",
]

FISCAL_YEAR = 2569
NOW = datetime(2026, 9, 10, 10, 0, tzinfo=BANGKOK)  # round 12 of FY 2569 is open: the fullest list
UNIT_NAMES = ("สำนักปลัด", "กองคลัง", "กองช่าง", "กองการศึกษา ศาสนาและวัฒนธรรม", "กองสาธารณสุขและสิ่งแวดล้อม")
OFFICERS_PER_UNIT = 4
MEASURES = 53
EVIDENCE_POOL = 16


def org_id(index: int) -> str:
    """The id of the index-th benchmark organization."""
    return f"org{index:04d}"


def telegram_user(org_index: int, person: int) -> int:
    """A Telegram user id per (organization, person); person 0..19 officers, 20 the head."""
    return 50_000_000 + org_index * 100 + person


@dataclass
class OrgData:
    """One organization's files as TinyDB table dicts, plus its registry rows."""

    org: Organization
    files: dict[str, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)
    identities: list[dict[str, Any]] = field(default_factory=list)
    officers: list[Officer] = field(default_factory=list)

    @property
    def reports(self) -> int:
        """How many report revisions the year holds."""
        return sum(len(t.get("reports", [])) for t in self.files.values())


def _plan(units: list[Unit]) -> list[Measure]:
    plan = []
    for no in range(1, MEASURES + 1):
        every = no % 10 == 0
        plan.append(Measure(
            id=f"m{no}", no=no, indicator=str(1 + (no - 1) % 10),
            title=f"มาตรการส่งเสริมคุณธรรมและความโปร่งใส กิจกรรมที่ {no}",
            steps="1. จัดทำแผนและคำสั่งมอบหมาย 2. ดำเนินกิจกรรมและประชาสัมพันธ์ 3. รายงานผลต่อผู้บริหาร",
            unit_ids=[] if every else [units[no % len(units)].id], all_units=every,
            period="ตุลาคม 2568 - กันยายน 2569", rounds=[6, 12] if no % 3 == 0 else list(ROUNDS)))
    return plan


def _people(oid: str, index: int, units: list[Unit]) -> list[Officer]:
    people = []
    for k in range(len(units) * OFFICERS_PER_UNIT):
        uid = str(telegram_user(index, k))
        people.append(Officer(id=f"p{k}", org_id=oid, display_name=f"เจ้าหน้าที่ {k + 1}", role="officer",
                              unit_ids=[units[k % len(units)].id],
                              identities=[Identity("telegram", uid, uid, True, "2025-10-01T09:00:00+07:00")]))
    head_uid = str(telegram_user(index, len(people)))
    people.append(Officer(id="head", org_id=oid, display_name="ปลัด", role="head",
                          identities=[Identity("telegram", head_uid, head_uid, True, "2025-10-01T09:00:00+07:00")]))
    return people


def _evidence(rng: random.Random, pool: list[Evidence], stamp: str) -> list[Evidence]:
    items = []
    for _ in range(rng.randint(1, 3)):
        if rng.random() < 0.6:
            items.append(Evidence(id=new_id("e"), kind="url", url=f"https://www.example.go.th/news/{rng.randrange(10**6)}",
                                  uploader_id="p0", created_at=stamp))
        else:
            base = rng.choice(pool)
            items.append(Evidence(id=new_id("e"), kind=base.kind, sha256=base.sha256, name=base.name, mime=base.mime,
                                  size=base.size, uploader_id="p0", created_at=stamp))
    return items


def _answers(oid: str, plan: list[Measure], units: list[Unit], pool: list[Evidence], rng: random.Random,
             rounds: tuple[int, ...]) -> list[ReportEntry]:
    entries = []
    for months in rounds:
        end = get_round(FISCAL_YEAR, months).end
        for m in plan:
            if not m.monitored_in(months):
                continue
            for unit in units if m.all_units else [u for u in units if u.id in m.unit_ids]:
                first = datetime(end.year, end.month, end.day, 10, tzinfo=BANGKOK) - timedelta(days=rng.randrange(20, 40))
                for rev in range(1, rng.randint(1, 4) + 1):
                    done = rev > 1 or rng.random() < 0.7
                    stamp = now_iso(first + timedelta(days=3 * rev))
                    entries.append(ReportEntry(
                        id=new_id("r"), org_id=oid, fiscal_year=FISCAL_YEAR, measure_id=m.id, round=months,
                        unit_id=unit.id, status="done" if done else "not_done",
                        summary=f"ดำเนินการตามขั้นตอนครบถ้วน ประชาสัมพันธ์ผ่านเว็บไซต์และบอร์ด ครั้งที่ {rev}" if done else "",
                        outcome="บุคลากรและประชาชนรับทราบ" if done else "", reason="" if done else "อยู่ระหว่างดำเนินการ",
                        evidence=_evidence(rng, pool, stamp) if done else [], officer_id="p0",
                        officer_name="เจ้าหน้าที่ 1", created_at=stamp, revision=rev))
    return entries


def evidence_pool(store: EvidenceStore) -> list[Evidence]:
    """A few stored files that many answers point at (the store keeps bytes once per hash anyway)."""
    pool = []
    for i in range(EVIDENCE_POOL):
        data = f"%PDF-1.4 คำสั่ง/ภาพกิจกรรม {i} ".encode() * (50 + 20 * i)
        pool.append(store.put(data, f"หลักฐาน{i}.pdf", "application/pdf", "p0"))
    return pool


def make_org(index: int, pool: list[Evidence], seed: int = 2569, rounds: tuple[int, ...] = ROUNDS) -> OrgData:
    """One organization's year as table dicts, with these rounds answered (all four: the full year)."""
    rng = random.Random(seed * 1000 + index)
    oid = org_id(index)
    org = Organization(id=oid, name=f"องค์การบริหารส่วนตำบลทดสอบ {index + 1}", type="อบต.", district="เมือง",
                       province="ศรีสะเกษ", signer_name="นายทดลอง ใช้ระบบ", signer_position="ปลัด อบต.",
                       created_at="2025-10-01T09:00:00+07:00")
    units = [Unit(id=f"u{i}", org_id=oid, name=name) for i, name in enumerate(UNIT_NAMES)]
    people = _people(oid, index, units)
    plan = _plan(units)
    data = OrgData(org, officers=people)
    data.files[f"orgs/{oid}/org.json"] = {"units": [to_dict(u) for u in units],
                                           "officers": [to_dict(p) for p in people]}
    data.files[f"orgs/{oid}/fy{FISCAL_YEAR}.json"] = {
        "measures": [to_dict(m) for m in plan],
        "reports": [to_dict(e) for e in _answers(oid, plan, units, pool, rng, rounds)]}
    data.identities = [{"platform": i.platform, "user_id": i.user_id, "org_id": oid, "officer_id": p.id}
                       for p in people for i in p.identities]
    return data


def _write(path: Path, tables: dict[str, list[dict[str, Any]]]) -> None:
    """One durable write of a whole TinyDB file, in TinyDB's own layout."""
    db = TinyDB(storage=MemoryStorage)
    for name, docs in tables.items():
        db.table(name).insert_multiple(docs)
    AtomicJSONStorage(path).write(db.storage.memory or {})  # type: ignore[attr-defined]


def write_orgs(data_dir: Path, orgs: list[OrgData]) -> None:
    """Write these organizations' files (the registry separately, see write_registry)."""
    for data in orgs:
        for rel, tables in data.files.items():
            _write(data_dir / rel, tables)


def write_registry(data_dir: Path, orgs: list[OrgData]) -> None:
    """The registry listing exactly these organizations and their chat accounts."""
    _write(data_dir / "registry.json", {"orgs": [to_dict(d.org) for d in orgs],
                                         "identities": [i for d in orgs for i in d.identities]})


def build_data_dir(data_dir: Path, n_orgs: int, rounds: tuple[int, ...] = ROUNDS) -> list[OrgData]:
    """A data directory hosting n organizations (evidence pool, org files, registry)."""
    pool = evidence_pool(EvidenceStore(data_dir / "evidence"))
    orgs = [make_org(i, pool, rounds=rounds) for i in range(n_orgs)]
    write_orgs(data_dir, orgs)
    write_registry(data_dir, orgs)
    return orgs


def load_users(orgs: list[OrgData], n: int) -> list[int]:
    """n Telegram user ids spread over the organizations, at most one officer per unit of an org."""
    per_org = len(orgs[0].officers) - 1  # officers; the last person is the head
    users = []
    for j in range(n):
        org, unit = j % len(orgs), (j // len(orgs)) % len(UNIT_NAMES)
        if j // len(orgs) >= per_org:
            raise ValueError(f"{n} users need more than {len(orgs)} organizations")
        person = unit + len(UNIT_NAMES) * (j // (len(orgs) * len(UNIT_NAMES)))
        users.append(int(orgs[org].officers[person].identities[0].user_id))
    return users


def check_readable(repo: TinyRepository, data: OrgData) -> None:
    """The repository reads back what was written (so the benchmark data is real data)."""
    oid = data.org.id
    reports = repo.list_reports(oid, FISCAL_YEAR)
    if len(reports) != data.reports or len(repo.list_measures(oid, FISCAL_YEAR)) != MEASURES:
        raise RuntimeError(f"benchmark data for {oid} did not read back")
    ident = data.officers[0].identities[0]
    if repo.find_identity("telegram", ident.user_id) != (oid, data.officers[0].id):
        raise RuntimeError(f"identity of {oid} did not read back")


@dataclass
class Chat:
    """Drives the Engine like a phone: typed lines and presses of the last keyboard's buttons."""

    engine: Engine
    user_id: str
    platform: str = "telegram"
    last: list[Reply] = field(default_factory=list)

    def send(self, event: Incoming) -> list[Reply]:
        """One event in, its replies kept as the 'screen'."""
        self.last = self.engine.handle(event)
        return self.last

    def say(self, text: str) -> list[Reply]:
        """Type a line (or a /command)."""
        return self.send(Incoming.from_text(self.platform, self.user_id, text, chat_id=self.user_id))

    def press(self, label: str) -> list[Reply]:
        """Press the button with exactly that label, else the first whose label contains it."""
        buttons = [b for reply in self.last for b in reply.flat_buttons()]
        for b in sorted(buttons, key=lambda b: b.label != label):
            if label in b.label:
                return self.send(Incoming(self.platform, self.user_id, "button", data=b.data, chat_id=self.user_id))
        raise RuntimeError(f"no button {label!r} in {[b.label for r in self.last for b in r.flat_buttons()]}")

    @property
    def text(self) -> str:
        """All text on the 'screen'."""
        return "\n".join(r.text for r in self.last)
