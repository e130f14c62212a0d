"""Domain records of itabot: plain dataclasses that round-trip through JSON."""

from __future__ import annotations

import dataclasses
import operator
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, TypeVar

__all__ = [
    "detached_report",
    "own_measure",
    "ROUNDS",
    "ROLES",
    "STATUS_DONE",
    "STATUS_NOT_DONE",
    "Organization",
    "Unit",
    "Identity",
    "Officer",
    "Invite",
    "Measure",
    "Evidence",
    "ReportEntry",
    "SendRecord",
    "Review",
    "Approval",
    "REVIEW_ACCEPTED",
    "REVIEW_RETURNED",
    "APPROVAL_APPROVED",
    "APPROVAL_RETURNED",
    "new_id",
    "primary_role",
    "to_dict",
    "from_dict",
]

ROUNDS: tuple[int, ...] = (3, 6, 9, 12)
ROLES: tuple[str, ...] = ("officer", "head", "admin")
STATUS_DONE = "done"
STATUS_NOT_DONE = "not_done"

Role = Literal["officer", "head", "admin"]
Status = Literal["done", "not_done"]


def new_id(prefix: str = "", nbytes: int = 5) -> str:
    """Short random id: short enough for 64-byte callback data, unguessable enough for ids."""
    return prefix + secrets.token_hex(nbytes)


@dataclass
class Organization:
    """A hosted agency (อบต., เทศบาล …) with what its report's title and signature need."""

    id: str
    name: str
    type: str = ""
    district: str = ""
    province: str = ""
    signer_name: str = ""
    signer_position: str = ""
    created_at: str = ""


@dataclass
class Unit:
    """A ส่วนราชการ (or a section inside one) that measures are assigned to."""

    id: str
    org_id: str
    name: str
    aliases: list[str] = field(default_factory=list)
    parent_id: str = ""  # a section (งานพัสดุ) names the division it sits in (กองคลัง)


@dataclass
class Identity:
    """One chat account (platform + user id) linked to an officer."""

    platform: str
    user_id: str
    chat_id: str = ""
    active: bool = True
    linked_at: str = ""


def primary_role(roles: list[str]) -> str:
    """The strongest of a person's roles (admin, then head, then officer): what one-role code reads."""
    return next((r for r in reversed(ROLES) if r in roles), "officer")


@dataclass
class Officer:
    """A person of an organization: officer of some units and/or head and/or admin.

    `roles` holds every role; `role` is the strongest one, kept for code and files that know one role.
    `unit_ids` are the units the person reports for when they hold the officer role (a head who is no
    officer keeps their headed units there too, for code that knows one role); `head_unit_ids` are the
    units they head (a head without any heads the whole organization). Records from before roles
    combined carry only `role` and `unit_ids`; __post_init__ reads them the way the bot always did.
    """

    id: str
    org_id: str
    display_name: str
    role: str = "officer"
    position: str = ""
    unit_ids: list[str] = field(default_factory=list)
    identities: list[Identity] = field(default_factory=list)
    active: bool = True
    lang: str = "th"
    created_at: str = ""
    roles: list[str] = field(default_factory=list)
    head_unit_ids: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.roles = [r for r in ROLES if r in self.roles]  # known roles, in a fixed order: loads are idempotent
        if not self.roles:
            self._from_one_role()
            self.roles = [r for r in ROLES if r in self.roles]
        self.role = primary_role(self.roles)

    def _from_one_role(self) -> None:
        """A one-role record: a head's units are the units headed; an admin with units also reports for them."""
        role = self.role if self.role in ROLES else "officer"
        self.roles = [role]
        if role == "head" and self.unit_ids and not self.head_unit_ids:
            self.head_unit_ids = list(self.unit_ids)
        elif role == "admin" and self.unit_ids:
            self.roles.append("officer")

    def has_role(self, role: str) -> bool:
        """True when the person holds that role (among others)."""
        return role in self.roles


@dataclass
class Invite:
    """A one-time, expiring code bound to organization + unit + role."""

    code: str
    org_id: str
    role: str
    unit_ids: list[str] = field(default_factory=list)
    name: str = ""
    position: str = ""
    created_by: str = ""
    created_at: str = ""
    expires_at: str = ""
    used_by: str = ""
    used_at: str = ""


@dataclass(slots=True)  # slots: a year's plan and answers are cached per office; ~5x smaller than a __dict__
class Measure:
    """One row of the plan: a มาตรการ/กิจกรรม with its units, period and monitored rounds."""

    id: str
    no: int
    indicator: str
    title: str
    steps: str = ""
    unit_ids: list[str] = field(default_factory=list)
    all_units: bool = False
    period: str = ""
    rounds: list[int] = field(default_factory=lambda: list(ROUNDS))
    analysis: str = ""
    monitoring: str = ""
    responsible_text: str = ""
    components: str = ""
    indicator_no: str = ""  # "1", "9.1", "10.2": the ITA indicator or OIT sub-indicator number
    indicator_name: str = ""  # "การปฏิบัติหน้าที่"
    oit_code: str = ""  # "o1" … "o43" for OIT checklist items
    component_list: list[str] = field(default_factory=list)  # required components (องค์ประกอบด้านข้อมูล)

    def monitored_in(self, round_no: int) -> bool:
        """True when the plan asks for a report of this measure in that round."""
        return round_no in self.rounds

    def is_for_unit(self, unit_id: str) -> bool:
        """True when the unit is responsible (every-unit measures included)."""
        return self.all_units or unit_id in self.unit_ids


@dataclass(frozen=True, slots=True)
class Evidence:
    """Proof behind a report: a URL, or a file kept under the data directory by its SHA-256 (immutable)."""

    id: str
    kind: str  # "url" | "file" | "photo"
    url: str = ""
    sha256: str = ""
    name: str = ""
    mime: str = ""
    size: int = 0
    uploader_id: str = ""
    created_at: str = ""
    note: str = ""  # what the officer wrote with it (caption, the words around a link)
    taken_on: str = ""  # ISO date the content was made: a photo's EXIF date, a PDF's creation date
    phash: str = ""  # perceptual hash of a photo (hex), to notice the same picture used again


@dataclass(slots=True)
class ReportEntry:
    """One revision of a unit's answer for a measure in a round; the newest one is current."""

    id: str
    org_id: str
    fiscal_year: int
    measure_id: str
    round: int
    unit_id: str
    status: str
    summary: str = ""
    outcome: str = ""
    reason: str = ""
    evidence: list[Evidence] = field(default_factory=list)
    officer_id: str = ""
    officer_name: str = ""
    created_at: str = ""
    revision: int = 1
    suggestion: str = ""  # ข้อเสนอแนะ (asked in the 12-month round)
    confirmed_from: int = 0  # "ยังเป็นเหมือนเดิม": the earlier round whose answer this one repeats
    covered: dict[str, list[str]] = field(default_factory=dict)  # required component → evidence ids showing it


@dataclass
class SendRecord:
    """A logged outgoing reminder/digest, so restarts neither repeat nor drop one."""

    key: str
    org_id: str
    fiscal_year: int
    round: int
    kind: str
    recipient: str
    due: str
    result: str = "sent"
    attempts: int = 1
    sent_at: str = ""
    detail: str = ""
    reason: str = ""  # why it failed (domain.sends.REASON_*); empty when sent


REVIEW_ACCEPTED = "accepted"
REVIEW_RETURNED = "returned"
APPROVAL_APPROVED = "approved"
APPROVAL_RETURNED = "returned"


@dataclass(frozen=True)
class Review:
    """One head's decision on one measure's answer in a round (append-only: the newest one counts)."""

    org_id: str
    fiscal_year: int
    round_no: int
    measure_id: str
    unit_id: str | None  # None: the decision covers every responsible unit's answer
    state: str  # "accepted" | "returned"
    comment: str
    reviewer_id: str
    at: str  # ISO datetime with offset
    answer_revision: int  # the revision of the answer reviewed (0: no answer yet)


@dataclass(frozen=True)
class Approval:
    """The approver's decision on a round's document, with what was approved (append-only history)."""

    org_id: str
    fiscal_year: int
    round_no: int
    approver_id: str
    approver_name: str
    platform: str
    account: str  # the chat user id the decision came from
    at: str  # ISO datetime, Asia/Bangkok
    document_sha256: str  # hash of the exact PDF/DOCX sent for approval
    answers_digest: str  # domain.review.answers_digest of the round's answers when decided
    decision: str = "approved"  # "approved" | "returned" (sent back: not an approval)
    comment: str = ""


T = TypeVar("T")


def to_dict(obj: Any) -> dict[str, Any]:
    """Dataclass → JSON-ready dict."""
    return dataclasses.asdict(obj)


_FIELDS: dict[type, frozenset[str]] = {}


def from_dict(cls: type[T], data: dict[str, Any]) -> T:
    """JSON dict → dataclass, ignoring unknown keys so old files keep loading."""
    names = _FIELDS.get(cls)
    if names is None:  # dataclasses.fields() is slow, and this runs for every stored row read
        names = _FIELDS[cls] = frozenset(f.name for f in dataclasses.fields(cls))  # type: ignore[arg-type]
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        if key not in names:
            continue
        if cls is Officer and key == "identities":
            value = [from_dict(Identity, v) for v in value]
        elif cls is ReportEntry and key == "evidence":
            value = [from_dict(Evidence, v) for v in value]
        kwargs[key] = value
    return cls(**kwargs)


def now_iso(dt: datetime) -> str:
    """Timestamps are stored as ISO strings with their offset."""
    return dt.isoformat(timespec="seconds")


def _shallow_copier(cls: type[T]) -> Callable[[T], T]:
    """A shallow copy by one positional call (a class without __post_init__): copy.copy and a loop over the
    fields are several times slower, and stores run this per row read."""
    values = operator.attrgetter(*(f.name for f in dataclasses.fields(cls)))  # type: ignore[arg-type]
    return lambda obj: cls(*values(obj))


_copy_report = _shallow_copier(ReportEntry)
_copy_measure = _shallow_copier(Measure)


def detached_report(entry: ReportEntry) -> ReportEntry:
    """A copy the caller may change: its own evidence list (Evidence itself is immutable)."""
    clone = _copy_report(entry)
    clone.evidence = list(entry.evidence)
    return clone


def own_measure(measure: Measure) -> Measure:
    """A copy the caller may change: its own lists (a store's cached plan stays as stored)."""
    clone = _copy_measure(measure)
    clone.unit_ids, clone.rounds = list(measure.unit_ids), list(measure.rounds)
    clone.component_list = list(measure.component_list)
    return clone
