"""The send log's vocabulary: what became of a reminder, why it failed and what a host can do about it.

Pure rules over `storage.models.SendRecord`: the scheduler writes these states, and the admins'
`/status`, the heads' digest and `itabot schedule` read them, so both sides share this module
instead of importing each other.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from storage.models import Officer, SendRecord

__all__ = [
    "FAILED_RESULTS",
    "REASON_BLOCKED",
    "REASON_INTERRUPTED",
    "REASON_NO_ACCOUNT",
    "REASON_PLATFORM",
    "REASON_QUOTA",
    "REASON_UNKNOWN",
    "RESULT_FAILED",
    "RESULT_FOLDED",
    "RESULT_INTERRUPTED",
    "RESULT_SENDING",
    "RESULT_SENT",
    "RESULT_WAITING",
    "Fate",
    "Undeliverable",
    "advice",
    "failed_sends",
    "fate",
    "reason_label",
    "reason_of",
    "unreachable",
    "unreachable_line",
]

RESULT_SENT = "sent"  # the platform accepted it
RESULT_FAILED = "failed"  # given up, with a reason
RESULT_SENDING = "sending"  # logged before the platform call; left behind only by a crash
RESULT_INTERRUPTED = "interrupted"  # a "sending" found at start: never resent (at most once)
RESULT_WAITING = "waiting"  # LINE quota used up: goes out once pushes are available again
RESULT_FOLDED = "folded"  # never went out on its own: carried by a later reminder, or no longer owed
FAILED_RESULTS = (RESULT_FAILED, RESULT_INTERRUPTED, RESULT_WAITING, RESULT_FOLDED)
_UNRESOLVED = (RESULT_FAILED, RESULT_INTERRUPTED, RESULT_WAITING)  # folded: a later send took over

REASON_BLOCKED = "blocked"
REASON_UNKNOWN = "unknown_recipient"
REASON_QUOTA = "line_quota"
REASON_PLATFORM = "platform_error"
REASON_NO_ACCOUNT = "no_account"
REASON_INTERRUPTED = "interrupted"

_LABELS = {
    REASON_BLOCKED: "บล็อกบอตหรือเลิกเป็นเพื่อน",
    REASON_UNKNOWN: "ไม่พบบัญชีแชตของผู้รับ",
    REASON_QUOTA: "โควตา LINE หมด",
    REASON_PLATFORM: "ระบบแชตขัดข้อง",
    REASON_NO_ACCOUNT: "ไม่มีบัญชีแชตที่ใช้ได้",
    REASON_INTERRUPTED: "ระบบหยุดระหว่างส่ง",
}
_ADVICE = {
    REASON_BLOCKED: "ให้เพิ่มเพื่อนบอตใหม่",
    REASON_UNKNOWN: "ให้ลงทะเบียนใหม่ด้วยรหัสเชิญ",
    REASON_QUOTA: "เพิ่มโควตา LINE หรือผูก Telegram",
    REASON_PLATFORM: "โทรแจ้งแทน แล้วตรวจการเชื่อมต่อของเซิร์ฟเวอร์",
    REASON_NO_ACCOUNT: "ให้ลงทะเบียนด้วยรหัสเชิญ",
    REASON_INTERRUPTED: "โทรแจ้งแทน",
}


class Undeliverable(Exception):
    """A permanent refusal with its reason: retrying now would not help (adapters raise it)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(detail or reason)
        self.reason = reason


def reason_of(record: SendRecord) -> str:
    """The failure reason of a record; records written before reasons existed get the closest one."""
    if record.reason:
        return record.reason
    return REASON_INTERRUPTED if record.result in (RESULT_INTERRUPTED, RESULT_SENDING) else REASON_PLATFORM


def reason_label(reason: str) -> str:
    """Thai words for a reason ("โควตา LINE หมด")."""
    return _LABELS.get(reason, reason)


def advice(reason: str) -> str:
    """What a host can do about it ("เพิ่มโควตา LINE หรือผูก Telegram")."""
    return _ADVICE.get(reason, "โทรแจ้งแทน")


def failed_sends(records: Iterable[SendRecord]) -> list[SendRecord]:
    """Records that did not reach their person and that no later send took over."""
    return [r for r in records if r.result in _UNRESOLVED]


@dataclass
class Fate:
    """What became of one planned moment's messages: how many went out, how many not and why."""

    sent: int = 0
    failed: Counter[str] = field(default_factory=Counter)
    pending: int = 0  # still "sending" (in flight now, or cut by a crash not yet noticed)

    @property
    def total(self) -> int:
        """Every logged message of the moment."""
        return self.sent + sum(self.failed.values()) + self.pending

    def line(self) -> str:
        """"ส่งแล้ว 18 · ไม่สำเร็จ 2: โควตา LINE หมด 2"."""
        text = f"ส่งแล้ว {self.sent}"
        if self.failed:
            reasons = ", ".join(f"{reason_label(r)} {n}" for r, n in self.failed.most_common())
            text += f" · ไม่สำเร็จ {sum(self.failed.values())}: {reasons}"
        if self.pending:
            text += f" · กำลังส่ง {self.pending}"
        return text


def fate(records: Iterable[SendRecord]) -> Fate:
    """Count a moment's records by outcome (a late send after the quota came back counts as sent)."""
    out = Fate()
    for rec in records:
        if rec.result == RESULT_SENT:
            out.sent += 1
        elif rec.result == RESULT_SENDING:
            out.pending += 1
        else:
            out.failed[reason_of(rec)] += 1
    return out


def unreachable(records: Iterable[SendRecord], people: Iterable[Officer]) -> list[tuple[Officer, str]]:
    """People whose latest message did not reach them, or who cannot be messaged at all, with why."""
    latest: dict[str, SendRecord] = {}
    for rec in sorted(records, key=lambda r: (r.due, r.sent_at)):
        if rec.result != RESULT_SENDING:
            latest[rec.recipient] = rec
    found = []
    for person in people:
        if not person.active:
            continue
        if person.identities and not any(i.active for i in person.identities):
            found.append((person, REASON_BLOCKED))
        elif not person.identities:
            found.append((person, REASON_NO_ACCOUNT))
        elif person.id in latest and latest[person.id].result in _UNRESOLVED:
            found.append((person, reason_of(latest[person.id])))
    return found


def unreachable_line(person: Officer, reason: str) -> str:
    """"• สมชาย: โควตา LINE หมด — เพิ่มโควตา LINE หรือผูก Telegram"."""
    return f"• {person.display_name}: {reason_label(reason)} — {advice(reason)}"
