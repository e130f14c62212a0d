"""The evidence step: photos, files and links, one answer per message, links found wherever they are typed."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from domain.events import Reply
from domain.fiscal import thai_medium_date
from domain.thai_dates import parse_thai_date
from storage.evidence import EvidenceError, safe_display_name
from storage.models import Evidence, new_id, to_dict

from .context import Ctx, action, step
from .report_flags import flag_lines, item_label
from .report_list import short
from .screens import reprompt, screen

__all__ = ["MAX_EVIDENCE", "find_links", "Found", "date_question"]

MAX_EVIDENCE = 30
CAPTION_MAX = 200
URL_MAX = 2000
_TLDS = (
    "th|com|net|org|gov|edu|int|info|biz|io|co|me|ly|gl|app|dev|site|online|page|link|tv|cc|to|asia|"
    "la|kh|mm|vn|sg|my|jp|cn|uk|us|de|fr|au|nz|in|id|ph"
)
_SCHEME = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]{1,15}):(//)?\S*")
_HTTP_INSIDE = re.compile(r"(?i)https?://")
_BARE = re.compile(
    rf"(?i)^(www\.)?[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?)*\.(?:{_TLDS})"
    r"(?::\d{1,5})?(?:[/?#]\S*)?$"
)
_NOT_HTTP = {"ftp", "ftps", "file", "javascript", "data", "vbscript", "mailto", "tel", "sftp", "smb"}
_TRAIL = ".,;:!?'\"”’…"
_JOINERS = {"และ", "หรือ", "กับ", "ที่", "คือ", "ดู", "ดูที่", "ดูได้ที่", "ลิงก์", "and", "or", "see", "at", "link",
            "&", "-", "–", "—", ":", ",", "+"}
_WRAP = "<>()[]{}\"'“”‘’"


@dataclass
class Found:
    """What one message holds: links with their captions, refused link-like words, and the other text."""

    links: list[tuple[str, str]] = field(default_factory=list)  # (url, caption)
    refused: list[str] = field(default_factory=list)
    too_long: list[str] = field(default_factory=list)


def _trim(word: str) -> str:
    """A word without the punctuation people put around a link."""
    word = word.strip(_WRAP.replace(")", ""))
    while word and (word[-1] in _TRAIL or (word[-1] == ")" and word.count("(") < word.count(")"))):
        word = word[:-1]
    return word.lstrip("(")


def _as_link(word: str) -> tuple[str, str, str]:
    """(text before, link, kind) for one word: kind "ok", "refused" or "" when it is no link at all."""
    cleaned = _trim(word)
    inside = _HTTP_INSIDE.search(cleaned)
    if inside and inside.start() > 0:  # "ดูที่https://…": Thai typed right before the link
        return cleaned[: inside.start()], _trim(cleaned[inside.start() :]), "ok"
    scheme = _SCHEME.match(cleaned)
    if scheme and scheme.start() == 0 and (scheme.group(2) or scheme.group(1).lower() in _NOT_HTTP):
        ok = scheme.group(1).lower() in ("http", "https") and bool(urlsplit(cleaned).netloc)
        return "", cleaned, "ok" if ok else "refused"
    if _BARE.match(cleaned):
        return "", "https://" + cleaned, "ok"
    return word, "", ""


def _caption(words: list[str]) -> str:
    """Words around a link as its caption, without the "และ" / "or" that only joined two links."""
    while words and words[0].casefold() in _JOINERS:
        words = words[1:]
    while words and words[-1].casefold() in _JOINERS:
        words = words[:-1]
    return " ".join(words)


def find_links(text: str) -> Found:
    """Every link in a typed message, each captioned with the words before it (the last also the words after)."""
    found = Found()
    words: list[str] = []
    for word in text.split():
        before, link, kind = _as_link(word)
        if kind == "refused":
            found.refused.append(link)
            continue
        if before:
            words.append(before)
        if kind == "ok":
            if len(link) > URL_MAX:
                found.too_long.append(link)
                continue
            found.links.append((link, _caption(words)))
            words = []
    if words and found.links:
        url, caption = found.links[-1]
        found.links[-1] = (url, " ".join(x for x in (caption, _caption(words)) if x))
    return found


def _same_link(a: str, b: str) -> bool:
    """Links that lead to the same page: scheme and host case, a trailing slash and http/https ignored."""

    def key(url: str) -> str:
        parts = urlsplit(url)
        return parts.netloc.lower().removeprefix("www.") + parts.path.rstrip("/") + ("?" + parts.query if parts.query else "")

    return key(a) == key(b)


@screen("evidence")
def _evidence_screen(ctx: Ctx) -> Reply:
    """The evidence question, how many items the draft already has, and the finish button."""
    draft = (ctx.state or {}).get("draft", {})
    items = draft.get("evidence", [])
    text = ctx.t("ask_evidence")
    if items:
        text += "\n" + ctx.t("evidence_have", count=len(items))
    question = date_question(ctx, draft)
    return Reply("\n".join([text, *question]), _evidence_buttons(ctx, draft))


class _Batch:
    """The items one message adds, and what to tell the officer about the rest."""

    def __init__(self, ctx: Ctx, items: list[dict[str, Any]]) -> None:
        self.ctx, self.items = ctx, items
        self.added: list[str] = []
        self.fresh: list[tuple[str, dict[str, Any]]] = []  # (label, item) kept from this message
        self.duplicates: list[str] = []
        self.notes: list[str] = []
        self.over: list[str] = []
        self.stamp = ctx.clock.now().isoformat(timespec="seconds")

    def add(self, ev: Evidence, label: str) -> None:
        """Keep one item unless it is already there or the draft is full."""
        dup = any(
            (ev.kind == "url" and i.get("kind") == "url" and _same_link(i.get("url", ""), ev.url))
            or (ev.sha256 and i.get("sha256") == ev.sha256)
            for i in self.items
        )
        if dup:
            self.duplicates.append(label)
        elif len(self.items) >= MAX_EVIDENCE:
            self.over.append(label)
        else:
            self.items.append(to_dict(ev))
            self.added.append(label)
            self.fresh.append((label, self.items[-1]))

    def reply_text(self) -> str:
        """One answer for the whole message."""
        t = self.ctx.t
        lines = []
        if self.added:
            lines.append(t("evidence_added", items=", ".join(self.added), count=len(self.items)))
        if self.duplicates:
            lines.append(t("evidence_duplicate", items=", ".join(self.duplicates)))
        if self.over:
            lines.append(t("evidence_too_many", limit=MAX_EVIDENCE, items=", ".join(self.over)))
        lines.extend(self.notes)
        lines.extend(flag_lines(self.ctx, self.fresh))
        return "\n".join(lines)

    def ask_dates(self, draft: dict[str, Any]) -> list[str]:
        """Queue the new photos and files that carry no date for the date question (each asked once)."""
        asked: list[str] = draft.setdefault("dated", [])
        waiting: list[str] = draft.setdefault("date_for", [])
        for _, item in self.fresh:
            if item.get("kind") != "url" and not item.get("taken_on") and item.get("id") not in asked:
                asked.append(str(item.get("id", "")))
                waiting.append(str(item.get("id", "")))
        return date_question(self.ctx, draft)


def _add_files(ctx: Ctx, batch: _Batch) -> None:
    """Photos and files (a caption sent with them names them)."""
    who = ctx.officer.id
    for att in ctx.event.attachments:
        name = safe_display_name(att.name or "file")
        if att.data is None or len(att.data) > ctx.evidence.max_bytes:
            limit = ctx.evidence.max_bytes // (1024 * 1024)
            batch.notes.append(ctx.t("file_too_big", name=name, limit=limit))
            continue
        if not att.data:
            batch.notes.append(ctx.t("file_empty", name=name))
            continue
        try:
            ev = ctx.evidence.put(att.data, name, att.mime, who, batch.stamp)
        except EvidenceError as exc:
            batch.notes.append(f"{name}: {exc}")
            continue
        caption = " ".join(ctx.event.text.split())
        if caption:  # a photo's caption (Telegram) says what it shows
            ev = Evidence(**{**to_dict(ev), "note": short(caption, CAPTION_MAX)})
        batch.add(ev, short(ev.name, 40))


def _add_links(ctx: Ctx, batch: _Batch, found: Found) -> None:
    """Links with their captions; refused and overlong ones are named back."""
    for url, caption in found.links:
        ev = Evidence(
            id=new_id("e"), kind="url", url=url, note=short(caption, CAPTION_MAX) if caption else "",
            uploader_id=ctx.officer.id, created_at=batch.stamp,
        )
        batch.add(ev, short(url, 60))
    batch.notes += [ctx.t("evidence_bad_link", link=short(u, 60)) for u in found.refused]
    batch.notes += [ctx.t("evidence_long_link", link=short(u, 60)) for u in found.too_long]


@step("evidence")
def step_evidence(ctx: Ctx) -> list[Reply]:
    """Photos, files and links, any number: one answer per message; the finish button stays."""
    st = ctx.state or {}
    items: list[dict[str, Any]] = st["draft"].setdefault("evidence", [])
    batch = _Batch(ctx, items)
    if ctx.event.kind == "file":
        _add_files(ctx, batch)
    elif ctx.event.kind == "text":
        found = find_links(ctx.event.text)
        if not (found.links or found.refused or found.too_long):
            return _typed_date(ctx) or reprompt(ctx, ctx.t("evidence_not_link"))
        _add_links(ctx, batch, found)
    question = batch.ask_dates(st["draft"]) if batch.added else []
    if batch.added:
        ctx.save(st)
    text = batch.reply_text()
    if batch.added:
        text += "\n" + "\n".join([*question, ctx.t("evidence_more")])
    return [Reply(text, _evidence_buttons(ctx, st["draft"]))]


# ----- the date question: photos and files that carry no date of their own ------------------------------


def _waiting(draft: dict[str, Any]) -> list[dict[str, Any]]:
    """The draft's items whose date was asked and not answered yet."""
    ids = set(draft.get("date_for", []))
    return [i for i in draft.get("evidence", []) if i.get("id") in ids and not i.get("taken_on")]


def date_question(ctx: Ctx, draft: dict[str, Any]) -> list[str]:
    """"📅 ไม่พบวันที่ในไฟล์ 2 รายการ: …" while photos or files wait for a date (nothing otherwise)."""
    items = _waiting(draft)
    if not items:
        return []
    names = ", ".join(item_label(i) for i in items[:5]) + (" …" if len(items) > 5 else "")
    return [ctx.t("date_ask", count=len(items), items=names)]


def _evidence_buttons(ctx: Ctx, draft: dict[str, Any]) -> list[list[Any]]:
    """"เสร็จสิ้น", and "วันนี้" / "ไม่ทราบ" while a date is asked."""
    rows = [[ctx.button(ctx.t("btn_finish_evidence"), "f")]]
    if _waiting(draft):
        rows.append([ctx.button(ctx.t("btn_date_today"), "dt", "t"), ctx.button(ctx.t("btn_date_unknown"), "dt", "u")])
    return rows


def _date_text(ctx: Ctx, day: date) -> str:
    return thai_medium_date(day) if ctx.lang == "th" else day.strftime("%-d %b %Y")


def _answer_date(ctx: Ctx, day: date | None) -> list[Reply]:
    """Put the date on every item waiting for one ("don't know": none, so nothing is flagged), then go on."""
    st = ctx.state or {}
    draft = st["draft"]
    items = _waiting(draft)
    draft["date_for"] = []
    notes: list[str] = []
    if day is not None and items:
        for item in items:
            item["taken_on"] = day.isoformat()
        notes.append(ctx.t("date_set", date=_date_text(ctx, day), count=len(items)))
        notes += flag_lines(ctx, [(item_label(i), i) for i in items])
    ctx.save(st)
    notes.append(ctx.t("evidence_more"))
    return [Reply("\n".join(notes), _evidence_buttons(ctx, draft))]


def _typed_date(ctx: Ctx) -> list[Reply] | None:
    """A typed date answers the date question (None when no date is asked, or the text is no date)."""
    draft = (ctx.state or {}).get("draft", {})
    if not _waiting(draft):
        return None
    text = " ".join(ctx.event.text.split())
    day = parse_thai_date(text)
    if day is None:
        return reprompt(ctx, ctx.t("date_bad", text=short(text, 30)))
    if day > ctx.clock.now().date():
        return reprompt(ctx, ctx.t("date_future", date=_date_text(ctx, day)))
    return _answer_date(ctx, day)


@action("dt")
def act_date(ctx: Ctx, arg: str) -> list[Reply]:
    """"วันนี้" (t) or "ไม่ทราบ" (u) under the date question."""
    st = ctx.state or {}
    if st.get("step") != "evidence" or arg not in ("t", "u") or not _waiting(st.get("draft", {})):
        return [Reply(ctx.t("stale_button"))]
    return _answer_date(ctx, ctx.clock.now().date() if arg == "t" else None)
