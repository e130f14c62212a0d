"""What a published round may show, built field by field from the compiled round: privacy by construction.

Only these fields ever reach the public site: the plan's words, each unit's status and answer text, evidence
captions and the files themselves, the office's name, the signature names and the approval's date. Chat
ids, LINE ids, officer ids, uploaders and officers' names are never copied; phone numbers, LINE-style ids and
the office's known chat ids typed inside answers are masked. Statuses come from the compiled round
(domain.status via report.compile), never re-derived.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from domain.fiscal import digits as dg
from domain.fiscal import round_label, thai_date
from storage.models import Evidence

from .compile import MeasureRow, RoundReport, UnitAnswer
from .docx_parts import APPROVED_VIA
from .labels import carried_note, evidence_caption, evidence_labels
from .options import ReportOptions
from .text import (
    STATUS_LABELS,
    STATUS_ORDER,
    clean,
    entry_day,
    org_place,
    period_text,
    status_label,
    title_lines,
)

__all__ = [
    "APPROVER",
    "MASK",
    "FileCopy",
    "PubAnswer",
    "PubEvidence",
    "PubMeasure",
    "PubRound",
    "PublicApproval",
    "dump_round",
    "load_round",
    "public_round",
    "scrub",
]

MASK = "[ซ่อนข้อมูลส่วนบุคคล]"
APPROVER = "ผู้อนุมัติ"
_DIGIT = "[0-9๐-๙]"
_PHONE = re.compile(rf"(?<![0-9๐-๙])(?:\+?66[-\s.]?|[0๐]){_DIGIT}(?:[-\s.]?{_DIGIT}){{7,8}}(?![0-9๐-๙])")
_LINE_ID = re.compile(r"(?<![0-9A-Za-z])[UCR][0-9a-f]{32}(?![0-9A-Za-z])")
_SAFE_EXT = {  # evidence types served as themselves; anything else (HTML, SVG, scripts) is a download (.bin)
    "application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/webp": ".webp",
    "application/msword": ".doc", "application/vnd.ms-excel": ".xls", "application/vnd.ms-powerpoint": ".ppt",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
    "application/vnd.oasis.opendocument.text": ".odt", "application/vnd.oasis.opendocument.spreadsheet": ".ods",
    "text/plain": ".txt", "text/csv": ".csv", "application/zip": ".zip",
}


def scrub(text: str, private: frozenset[str] = frozenset()) -> str:
    """Answer text without phone numbers, LINE-style ids or the office's known chat ids and officer ids."""
    out = _LINE_ID.sub(MASK, _PHONE.sub(MASK, clean(text)))
    for token in private:
        if len(token) >= 5 and token in out:
            out = re.sub(rf"(?<![0-9A-Za-z]){re.escape(token)}(?![0-9A-Za-z])", MASK, out)
    return out


@dataclass(frozen=True)
class PublicApproval:
    """What the public may know of an approval: when, and the hash of the document approved (not who pressed)."""

    at: str  # ISO datetime
    document_sha256: str = ""


@dataclass(frozen=True)
class FileCopy:
    """An evidence file to place in the round's folder: photos are re-encoded (resized, no EXIF)."""

    sha256: str
    dest: str  # "files/<sha256[:16]>.jpg", relative to the round's folder
    photo: bool


@dataclass
class PubEvidence:
    """One piece of evidence as shown: a photo with alt text, a linked file, or an outside link."""

    kind: str  # photo | file | url | missing
    label: str
    alt: str = ""
    href: str = ""
    size: int = 0


@dataclass
class PubAnswer:
    """One unit's answer as published."""

    unit: str
    status: str
    status_label: str
    date: str = ""
    carried: str = ""
    summary: str = ""
    outcome: str = ""
    reason: str = ""
    evidence: list[PubEvidence] = field(default_factory=list)


@dataclass
class PubMeasure:
    """One measure of the round as published."""

    no: int
    title: str
    indicator: str
    oit_code: str
    components: list[str]
    units: str
    status: str
    status_label: str
    answers: list[PubAnswer] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)


@dataclass
class PubRound:
    """A published round: everything its page, the year's index and the OIT pages show."""

    org_name: str
    org_place: str
    fiscal_year: int
    round_no: int
    round_label: str
    period: str
    title: list[str]
    digits: str
    totals: list[tuple[str, str, int]]
    measures: list[PubMeasure]
    approved_on: str
    approved_at: str
    approval_note: str  # "อนุมัติผ่านระบบ itabot เมื่อ … เวลา … น.", as the signed document prints it
    signers: list[tuple[str, str, str]]  # (role label, name, position) as the report's signature prints them
    document: str = ""  # file name in the round's folder
    document_sha256: str = ""
    published_on: str = ""
    published_at: str = ""  # ISO datetime: which publication is the latest


def _ext(ev: Evidence) -> str:
    """A safe extension from the stored type: a page or script someone sent is only ever a download."""
    return _SAFE_EXT.get(ev.mime.lower(), ".bin")


def _evidence(ans: UnitAnswer, row: MeasureRow, style: str, private: frozenset[str],
              available: set[str], copies: dict[str, FileCopy]) -> list[PubEvidence]:
    """The answer's evidence with reader labels; files are planned for copying when they still exist."""
    out = []
    items = ans.entry.evidence
    for n, (ev, label) in enumerate(zip(items, evidence_labels(items, style), strict=True), 1):
        caption = scrub(evidence_caption(ev), private)
        if ev.kind == "url":
            url = clean(ev.url)
            if scrub(url, private) != url or not url.lower().startswith(("http://", "https://")):
                out.append(PubEvidence("missing", f"ลิงก์ {dg(str(n), style)} (ซ่อนไว้เพราะมีข้อมูลส่วนบุคคล)"))
                continue
            out.append(PubEvidence("url", scrub(caption or url, private), href=url))
            continue
        if ev.sha256 not in available:
            out.append(PubEvidence("missing", f"{scrub(label, private)} (ไม่พบไฟล์)"))
            continue
        photo = ev.kind == "photo"
        dest = f"files/{ev.sha256[:16]}{'.jpg' if photo else _ext(ev)}"
        copies.setdefault(ev.sha256, FileCopy(ev.sha256, dest, photo))
        alt = caption or f"ภาพถ่ายหลักฐานของ{clean(ans.unit.name)} มาตรการที่ {dg(str(row.measure.no), style)}"
        out.append(PubEvidence("photo" if photo else "file", scrub(label, private), alt if photo else "", dest,
                               ev.size))
    return out


def _answer(ans: UnitAnswer, row: MeasureRow, style: str, private: frozenset[str], available: set[str],
            copies: dict[str, FileCopy]) -> PubAnswer:
    entry = ans.entry
    day = entry_day(entry.created_at)
    return PubAnswer(
        unit=clean(ans.unit.name), status=entry.status, status_label=STATUS_LABELS.get(entry.status, ""),
        date=thai_date(day, style) if day else "", carried=carried_note(ans, style),
        summary=scrub(entry.summary, private), outcome=scrub(entry.outcome, private),
        reason=scrub(entry.reason, private),
        evidence=_evidence(ans, row, style, private, available, copies),
    )


def _measure(row: MeasureRow, style: str, private: frozenset[str], available: set[str],
             copies: dict[str, FileCopy]) -> PubMeasure:
    m = row.measure
    indicator = m.oit_code or " ".join(p for p in (m.indicator_no, m.indicator_name) if p) or clean(m.indicator)
    return PubMeasure(
        no=m.no, title=clean(m.title), indicator=clean(indicator), oit_code=m.oit_code,
        components=[clean(c) for c in m.component_list if clean(c)], units=clean(row.unit_names),
        status=row.status, status_label=status_label(row, style),
        answers=[_answer(a, row, style, private, available, copies) for a in row.answers],
        pending=[clean(u.name) for u in row.pending_units],
    )


def _signers(report: RoundReport, options: ReportOptions) -> list[tuple[str, str, str]]:
    """The signature block as the official report prints it: names only from the office's signature settings
    (an approver who is not named there shows as the role, never as a chat display name)."""
    out = [(s.role_label, clean(s.name), clean(s.position)) for s in options.signers_for(report.org)
           if clean(s.name) and s.role != "approver"]
    approver = next((s for s in options.signers_for(report.org) if s.role == "approver"), None)
    out.append((APPROVER, clean(approver.name) if approver else "", clean(approver.position) if approver else ""))
    return out


def public_round(report: RoundReport, approval: PublicApproval, options: ReportOptions, available: set[str],
                 private: frozenset[str], published: datetime) -> tuple[PubRound, list[FileCopy]]:
    """The round as the public sees it, and the evidence files to copy (only this round's answers')."""
    style = options.digits
    copies: dict[str, FileCopy] = {}
    measures = [_measure(r, style, private, available, copies) for r in report.rows]
    totals = [(s, STATUS_LABELS[s], report.count(s)) for s in STATUS_ORDER]
    approved = datetime.fromisoformat(approval.at)
    pub = PubRound(
        org_name=clean(report.org.name), org_place=org_place(report.org), fiscal_year=report.fiscal_year,
        round_no=report.round.months, round_label=round_label(report.round.months, style),
        period=period_text(report, style), title=title_lines(report, style), digits=style, totals=totals,
        measures=measures, approved_on=thai_date(approved.date(), style), approved_at=approval.at,
        approval_note=f"{APPROVED_VIA} {thai_date(approved.date(), style)} เวลา {dg(approved.strftime('%H.%M'), style)} น.",
        signers=_signers(report, options), document_sha256=approval.document_sha256,
        published_on=thai_date(published.date(), style), published_at=published.isoformat(timespec="seconds"),
    )
    return pub, list(copies.values())


def load_round(data: dict[str, Any]) -> PubRound:
    """A PubRound back from its round.json."""
    measures = []
    for m in data.get("measures", []):
        answers = [PubAnswer(**{**a, "evidence": [PubEvidence(**e) for e in a.get("evidence", [])]})
                   for a in m.get("answers", [])]
        measures.append(PubMeasure(**{**m, "answers": answers}))
    fields = {**data, "measures": measures}
    fields["totals"] = [tuple(t) for t in data.get("totals", [])]
    fields["signers"] = [tuple(s) for s in data.get("signers", [])]
    return PubRound(**fields)


def dump_round(pub: PubRound) -> dict[str, Any]:
    """JSON-ready form of a PubRound."""
    return asdict(pub)
