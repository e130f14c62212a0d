"""LINE rendering: neutral replies as LINE message dicts within LINE's limits.

Quick replies (≤ 13, labels ≤ 20 characters, long Thai labels cut at a word and given in full in the
text), Flex carousels for longer lists, text split under 5,000 characters, and files as a Flex bubble of
signed download buttons (LINE bots cannot send files).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from pathlib import Path
from typing import Any

from bot.links import DownloadLink, DownloadLinks, LinkError
from domain.events import Button, OutFile, Reply
from domain.fiscal import thai_short_date

__all__ = ["LABEL_MAX", "MESSAGES_PER_CALL", "TEXTS", "render_replies", "render_reply", "shorten_label", "split_text"]

log = logging.getLogger(__name__)

QUICK_REPLY_MAX = 13
LABEL_MAX = 20
DISPLAY_TEXT_MAX = 300
DATA_MAX = 300
TEXT_MAX = 5000
ALT_TEXT_MAX = 400
MESSAGES_PER_CALL = 5
ITEMS_PER_BUBBLE = 6
BUBBLES_PER_CAROUSEL = 10
NUMBERED = re.compile(r"\s*\d+[.)]\s")
LEADING_VOWELS = "เแโใไ"  # written before the consonant they follow: never end a cut label on one

KIND_LABELS = {
    ".docx": "ไฟล์ Word",
    ".doc": "ไฟล์ Word",
    ".xlsx": "ไฟล์ Excel",
    ".xls": "ไฟล์ Excel",
    ".pdf": "ไฟล์ PDF",
    ".png": "แผนภูมิ/รูปภาพ",
    ".jpg": "รูปภาพ",
    ".jpeg": "รูปภาพ",
    ".csv": "ไฟล์ CSV",
}

TEXTS = {
    "fetch_failed": "รับไฟล์ไม่สำเร็จ ลองส่งใหม่อีกครั้ง",
    "unsupported": "บอตรับข้อความ รูปภาพ วิดีโอ และไฟล์ สติกเกอร์หรือตำแหน่งยังใช้ไม่ได้",
    "error": "ขออภัย ระบบขัดข้องชั่วคราว ลองใหม่อีกครั้ง",
    "choices": "ตัวเลือก {first}–{last} จาก {total}",
    "page": "หน้า {page}/{pages}",
    "swipe": "เลื่อนไปทางซ้ายเพื่อดูหน้าถัดไป",
    "doc_title": "ไฟล์เอกสาร (แตะปุ่มเพื่อดาวน์โหลด)",
    "doc_until": "ลิงก์ใช้ได้ถึง {when} น.",
    "doc_open": "ดาวน์โหลด",
    "doc_unavailable": "เอกสาร {name} พร้อมแล้ว แต่ยังส่งลิงก์ทาง LINE ไม่ได้ (ยังไม่ได้ตั้งค่า PUBLIC_BASE_URL) แจ้งผู้ดูแลระบบ",
    "quota_warn": (
        "แจ้งผู้ดูแลระบบ: ข้อความแบบ push ของ LINE เดือนนี้ใช้ไปแล้ว {used} จาก {limit} ข้อความ "
        "เมื่อครบ บอตจะหยุดส่งแจ้งเตือนทาง LINE จนถึงเดือนหน้า แต่ยังตอบเมื่อมีผู้ส่งข้อความมา"
    ),
    "quota_risk": "การแจ้งเตือนที่ยังต้องส่งทาง LINE เดือนนี้ {planned} ข้อความ เสี่ยงส่งไม่ได้ {risk} ข้อความ",
    "quota_cap": (
        "แจ้งผู้ดูแลระบบ: ข้อความแบบ push ของ LINE เดือนนี้ครบ {limit} ข้อความแล้ว "
        "บอตหยุดส่งแจ้งเตือนทาง LINE จนถึงเดือนหน้า แต่ยังตอบเมื่อมีผู้ส่งข้อความมา "
        "(เพิ่มโควตาใน LINE Official Account Manager แล้วปรับ LINE_MONTHLY_PUSH_LIMIT)"
    ),
}


# what the LINE adapter itself writes, for a reader who chose English (/lang en)
TEXTS_EN = {
    "choices": "Choices {first}–{last} of {total}",
    "page": "Page {page}/{pages}",
    "swipe": "swipe left for the next page",
    "doc_title": "Documents (tap a button to download)",
    "doc_until": "Links work until {when}",
    "doc_unavailable": "{name} is ready, but LINE cannot get a link yet (PUBLIC_BASE_URL is not set); tell your admin",
    "choice_alt": "Choices",
}
KIND_LABELS_EN = {".docx": "Word file", ".doc": "Word file", ".xlsx": "Excel file", ".xls": "Excel file",
                  ".pdf": "PDF file", ".png": "Chart/picture", ".jpg": "Picture", ".jpeg": "Picture"}


def _t(lang: str, key: str) -> str:
    """The adapter's own words in the reader's language (Thai unless they chose English)."""
    return TEXTS_EN[key] if lang == "en" and key in TEXTS_EN else TEXTS.get(key, "ตัวเลือก")


def _char_cut(text: str, limit: int) -> str:
    """Cut to `limit` characters, never splitting a Thai letter from its marks."""
    cut = limit
    while cut > 1 and unicodedata.category(text[cut]) == "Mn":
        cut -= 1  # the next character is a vowel/tone mark of the last kept letter: drop both
    return text[:cut]


def shorten_label(text: str, limit: int = LABEL_MAX) -> str:
    """Fit a label in `limit` characters with "…", cutting Thai at a word boundary when one is near."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    from pythainlp.tokenize import word_tokenize  # local: loads a dictionary once, only when needed

    head = ""
    for word in word_tokenize(text, engine="newmm", keep_whitespace=True):
        if len(head) + len(word) > limit - 1:
            break
        head += word
    if len(head.rstrip()) < (limit - 1) * 2 // 3:  # no good boundary (one long word): cut between letters
        head = _char_cut(text, limit - 1)
    head = head.rstrip()
    while len(head) > 1 and head[-1] in LEADING_VOWELS:  # เ แ โ ใ ไ belong to the next consonant
        head = head[:-1].rstrip()
    return head + "…"


def split_text(text: str, limit: int = TEXT_MAX) -> list[str]:
    """Split a long text on line breaks into pieces LINE accepts."""
    text = text or " "
    pieces: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        cut = cut if cut > limit // 2 else limit
        pieces.append(text[:cut])
        text = text[cut:].lstrip("\n")
    pieces.append(text)
    return pieces


def _numbered(label: str, number: int) -> str:
    """ "3. title" — unless the engine already numbered the label."""
    return label if NUMBERED.match(label) else f"{number}. {label}"


def _postback(button: Button, number: int | None = None) -> dict[str, Any]:
    """A postback action: short label, full text echoed in the chat, engine data unchanged."""
    label = button.label if number is None else _numbered(button.label, number)
    data = button.data
    return {
        "type": "postback",
        "label": shorten_label(label),
        "data": data,
        "displayText": button.label[:DISPLAY_TEXT_MAX] or shorten_label(label),
    }


def _quick_reply_text(text: str, buttons: list[Button]) -> list[dict[str, Any]]:
    """Text with up to 13 quick replies; cut labels are numbered and given in full in the text."""
    cut = any(len(" ".join(b.label.split())) > LABEL_MAX for b in buttons)
    if cut:
        text = text + "\n\n" + "\n".join(_numbered(b.label, i) for i, b in enumerate(buttons, 1))
    items = [{"type": "action", "action": _postback(b, i if cut else None)} for i, b in enumerate(buttons, 1)]
    parts = split_text(text)
    messages: list[dict[str, Any]] = [{"type": "text", "text": p} for p in parts]
    messages[-1]["quickReply"] = {"items": items}
    return messages


def _choice_bubble(
    buttons: list[Button], start: int, total: int, page: int, pages: int, lang: str = ""
) -> dict[str, Any]:
    """One page of a long list: each row shows the full label and is tappable."""
    rows: list[dict[str, Any]] = []
    for offset, button in enumerate(buttons):
        if rows:
            rows.append({"type": "separator", "margin": "md"})
        rows.append(
            {
                "type": "box",
                "layout": "horizontal",
                "margin": "md",
                "action": _postback(button, start + offset),
                "contents": [
                    {"type": "text", "text": _numbered(button.label or "-", start + offset), "wrap": True,
                     "size": "sm", "color": "#1E6FD9"},
                ],
            }
        )
    last = start + len(buttons) - 1
    footer = _t(lang, "page").format(page=page, pages=pages) + (" · " + _t(lang, "swipe") if page < pages else "")
    return {
        "type": "bubble",
        "header": {
            "type": "box",
            "layout": "vertical",
            "contents": [
                {
                    "type": "text",
                    "text": _t(lang, "choices").format(first=start, last=last, total=total),
                    "size": "xs",
                    "color": "#888888",
                }
            ],
        },
        "body": {"type": "box", "layout": "vertical", "contents": rows},
        "footer": {
            "type": "box",
            "layout": "vertical",
            "contents": [{"type": "text", "text": footer, "size": "xxs", "color": "#888888", "wrap": True}],
        },
    }


def _carousels(text: str, buttons: list[Button], lang: str = "") -> list[dict[str, Any]]:
    """More than 13 choices: the text, then Flex carousels whose bubbles are pages of the list."""
    chunks = [buttons[i : i + ITEMS_PER_BUBBLE] for i in range(0, len(buttons), ITEMS_PER_BUBBLE)]
    bubbles = [
        _choice_bubble(chunk, 1 + n * ITEMS_PER_BUBBLE, len(buttons), n + 1, len(chunks), lang)
        for n, chunk in enumerate(chunks)
    ]
    messages: list[dict[str, Any]] = [{"type": "text", "text": p} for p in split_text(text)]
    alt = (text.splitlines() or [" "])[0][: ALT_TEXT_MAX - 20] or _t(lang, "choice_alt")
    for i in range(0, len(bubbles), BUBBLES_PER_CAROUSEL):
        messages.append(
            {"type": "flex", "altText": alt, "contents": {"type": "carousel", "contents": bubbles[i : i + BUBBLES_PER_CAROUSEL]}}
        )
    return messages


def _file_labels(files: list[OutFile], lang: str = "") -> list[str]:
    """Button labels people recognise ("ไฟล์ Word"), numbered when two are of the same kind."""
    table = KIND_LABELS_EN if lang == "en" else KIND_LABELS
    kinds = [table.get(Path(f.name).suffix.lower(), "") or shorten_label(f.name) for f in files]
    labels = []
    for i, kind in enumerate(kinds):
        same = [k for k in kinds if k == kind]
        labels.append(shorten_label(f"{kind} {kinds[: i + 1].count(kind)}" if len(same) > 1 else kind))
    return labels


def _link_button(label: str, url: str) -> dict[str, Any]:
    """A download button; the full file name stays in the bubble text."""
    return {"type": "button", "style": "primary", "height": "sm", "margin": "sm",
            "action": {"type": "uri", "label": label, "uri": url}}


def _documents(files: list[OutFile], links: DownloadLinks | None, lang: str = "") -> list[dict[str, Any]]:
    """Files as one Flex bubble of signed download buttons (photos as images when the link is HTTPS)."""
    unavailable = [{"type": "text", "text": _t(lang, "doc_unavailable").format(name=", ".join(f.name for f in files))}]
    if links is None or not links.available:
        return unavailable
    published: list[tuple[OutFile, DownloadLink]] = []
    for file in files:
        try:
            published.append((file, links.publish(file.path, file.name, file.mime)))
        except (LinkError, OSError) as exc:
            log.warning("cannot publish %s: %s", file.path, exc)
    if not published:
        return unavailable
    images = [{"type": "image", "originalContentUrl": ln.url, "previewImageUrl": ln.url}
              for f, ln in published if f.kind == "photo" and ln.url.startswith("https://")]
    docs = [(f, ln) for f, ln in published if not (f.kind == "photo" and ln.url.startswith("https://"))]
    if not docs:
        return images
    expires = docs[0][1].expires_at
    day = f"{expires:%-d %b %Y}" if lang == "en" else thai_short_date(expires.date())
    when = f"{day} {expires:%H:%M}"
    names = [{"type": "text", "text": f"• {f.name}", "wrap": True, "size": "sm"} for f, _ in docs]
    bubble = {
        "type": "bubble",
        "body": {
            "type": "box",
            "layout": "vertical",
            "contents": [
                {"type": "text", "text": _t(lang, "doc_title"), "weight": "bold"},
                *names,
                {"type": "text", "text": _t(lang, "doc_until").format(when=when), "size": "xs", "color": "#888888",
                 "margin": "md"},
            ],
        },
        "footer": {
            "type": "box",
            "layout": "vertical",
            "contents": [
                _link_button(label, ln.url)
                for label, (_, ln) in zip(_file_labels([f for f, _ in docs], lang), docs, strict=True)
            ],
        },
    }
    alt = _t(lang, "doc_title") + ": " + ", ".join(f.name for f, _ in docs)
    return [{"type": "flex", "altText": alt[:ALT_TEXT_MAX], "contents": bubble}, *images]


def render_reply(reply: Reply, links: DownloadLinks | None) -> list[dict[str, Any]]:
    """One neutral reply as LINE message dicts within LINE's limits."""
    buttons = [b for b in reply.flat_buttons() if 0 < len(b.data) <= DATA_MAX]
    if len(buttons) < len(reply.flat_buttons()):
        log.error("buttons with empty or over-long (> %s) data were left out", DATA_MAX)
    if not buttons:
        messages: list[dict[str, Any]] = [{"type": "text", "text": p} for p in split_text(reply.text)]
    elif len(buttons) <= QUICK_REPLY_MAX:
        messages = _quick_reply_text(reply.text, buttons)
    else:
        messages = _carousels(reply.text, buttons, reply.lang)
    docs = _documents(reply.files, links, reply.lang) if reply.files else []
    if docs and not reply.text.strip() and not buttons:
        messages = []
    if docs and messages and "quickReply" in messages[-1]:
        return messages[:-1] + docs + [messages[-1]]  # quick replies show only on the last message
    return messages + docs


def render_replies(replies: list[Reply], links: DownloadLinks | None) -> list[dict[str, Any]]:
    """Several replies as one message list; plain texts are merged so fewer calls are needed."""
    out: list[dict[str, Any]] = []
    for reply in replies:
        for message in render_reply(reply, links):
            prev = out[-1] if out else None
            mergeable = prev is not None and set(prev) == {"type", "text"} and message.get("type") == "text"
            if mergeable and prev is not None and len(prev["text"]) + len(message["text"]) + 2 <= TEXT_MAX:
                message = {**message, "text": prev["text"] + "\n\n" + message["text"]}
                out[-1] = message
            else:
                out.append(message)
    return out
