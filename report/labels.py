"""What the printed report calls things: status labels and boxes, carried answers, evidence, digits.

Kept apart from the layout so the status rule (domain/status.py) can change the words in one place.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Any

from domain.fiscal import digits as dg
from storage.models import STATUS_DONE, STATUS_NOT_DONE, Evidence

from .compile import MeasureRow
from .text import STATUS_LABELS, carried_label, clean, shorten
from .text import status_label as _row_status_label

__all__ = [
    "PARTIAL",
    "answer_status_label",
    "carried_note",
    "digits_text",
    "done_units",
    "evidence_caption",
    "evidence_labels",
    "status_boxes",
    "status_label",
]

PARTIAL = "partial"
NONE = "none"
_PLATFORM_NAME = re.compile(
    r"^(photo|file|document|image|img|line|video|voice|audio|sticker|animation|scan|dsc|pxl|screenshot)"
    r"[_\-\s]?[A-Za-z0-9_\-]*\.[A-Za-z0-9]{2,5}$|^[A-Za-z0-9_\-]{16,}\.[A-Za-z0-9]{2,5}$",
    re.IGNORECASE,
)
_KEEP = re.compile(r"(https?://\S+|www\.\S+|\S+@\S+|\b[A-Za-z]+[A-Za-z0-9_\-./]*\d[A-Za-z0-9_\-./]*)")


def done_units(row: MeasureRow) -> tuple[int, int]:
    """(units that answered done, responsible units)."""
    done = sum(1 for a in row.answers if a.entry is not None and a.entry.status == STATUS_DONE)
    return done, max(len(row.units), 1)


def status_label(row: MeasureRow, style: str = "thai") -> str:
    """ดำเนินการ / ดำเนินการบางส่วน (k/n ส่วนราชการ) / …: the words report/text.py gives every view."""
    return _row_status_label(row, style)


def status_boxes(row: MeasureRow, style: str = "thai") -> list[tuple[bool, str]]:
    """The form's two boxes, (ticked, label): the second reads "ดำเนินการบางส่วน (k/n)" when partial."""
    done_label = status_label(row, style) if row.status == PARTIAL else STATUS_LABELS[STATUS_DONE]
    return [(row.status == STATUS_NOT_DONE, STATUS_LABELS[STATUS_NOT_DONE]),
            (row.status in (STATUS_DONE, PARTIAL), done_label)]


def answer_status_label(status: str) -> str:
    """One unit's answer: ดำเนินการ / ยังไม่ได้ดำเนินการ."""
    return STATUS_LABELS.get(status, status)


def carried_note(answer: Any, style: str = "thai") -> str:
    """"ยกมาจากรอบ ๖ เดือน" for an answer carried from an earlier round, else ""."""
    rnd = getattr(answer, "carried_from", None)
    return carried_label(int(rnd), style) if rnd else ""


def digits_text(text: str, style: str) -> str:
    """Numbers in plan and answer text in the office's digits; URLs, e-mail addresses and codes as typed."""
    if style not in ("thai", "arabic"):
        return text
    parts = _KEEP.split(text)
    return "".join(p if i % 2 else dg(p, style) for i, p in enumerate(parts))


def evidence_caption(ev: Evidence) -> str:
    """What the officer called it: the caption or words sent with it, else a file name a person gave it."""
    note = clean(getattr(ev, "note", ""))
    if note:
        return shorten(" ".join(note.split()), 80)
    name = clean(ev.name)
    if not name or _PLATFORM_NAME.match(name):
        return ""
    return PurePosixPath(name).stem if ev.kind == "photo" else name


def evidence_labels(items: list[Evidence], style: str = "thai") -> list[str]:
    """Reader-facing labels: "ภาพถ่าย ๑ อบรมบุคลากร", "ไฟล์ ๒ (คำสั่ง.pdf)", or a link's address."""
    out: list[str] = []
    photos = files = 0
    for ev in items:
        caption = evidence_caption(ev)
        if ev.kind == "url":
            out.append(clean(ev.url))
        elif ev.kind == "photo":
            photos += 1
            out.append(f"ภาพถ่าย {dg(str(photos), style)}" + (f" {digits_text(caption, style)}" if caption else ""))
        else:
            files += 1
            out.append(f"ไฟล์ {dg(str(files), style)}" + (f" ({caption})" if caption else ""))  # a file name as typed
    return out
