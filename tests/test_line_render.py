"""LINE limits (quick replies, labels, postback data, text length), the push counter and link signing."""

from __future__ import annotations

import json
import os
import re
import stat
import unicodedata
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from linebot.v3.messaging import Message

from bot.line_render import render_replies, shorten_label
from bot.line_state import PushQuota
from bot.links import DownloadLinks, LinkError, load_link_secret
from domain.events import Button, OutFile, Reply
from storage.clock import BANGKOK, FixedClock

LONG_TITLE = "ส่งเสริมการเปิดเผยข้อมูลการจัดซื้อจัดจ้างและการใช้จ่ายงบประมาณประจำปีผ่านเว็บไซต์ของหน่วยงาน"


def actions(messages: list[dict]) -> list[dict]:
    """Every postback action a user could tap, quick replies and Flex rows alike."""
    found = [i["action"] for m in messages for i in (m.get("quickReply") or {}).get("items", [])]

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("action"), dict) and node["action"].get("type") == "postback":
                found.append(node["action"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for m in messages:
        if m["type"] == "flex":
            walk(m["contents"])
    return found


def test_long_thai_label_is_cut_cleanly_and_given_in_full_in_the_text() -> None:
    label = shorten_label(LONG_TITLE)
    assert len(label) <= 20 and label.endswith("…")
    assert LONG_TITLE.startswith(label[:-1])
    assert unicodedata.category(LONG_TITLE[len(label) - 1]) != "Mn"  # no vowel/tone mark cut off its letter
    assert shorten_label("ดำเนินการ") == "ดำเนินการ"
    assert shorten_label("กขคงจฉชซฌญฎฏฐฑฒณดตเทนบกขคง")[-2] not in "เแโใไ"  # a leading vowel needs its consonant
    [message] = render_replies([Reply("เลือกมาตรการ", [[Button(LONG_TITLE, "n1:m:m1")], [Button("ยกเลิก", "n1:x")]])], None)
    items = message["quickReply"]["items"]
    assert [i["action"]["label"] for i in items][1] == "2. ยกเลิก"
    assert all(len(i["action"]["label"]) <= 20 for i in items)
    assert f"1. {LONG_TITLE}" in message["text"]  # the full title is readable in the message
    assert items[0]["action"]["displayText"] == LONG_TITLE
    Message.from_dict(message)  # the SDK accepts it


def test_short_labels_stay_as_they_are() -> None:
    [message] = render_replies([Reply("สถานะ", [[Button("ดำเนินการ", "a"), Button("ยังไม่ได้ดำเนินการ", "b")]])], None)
    assert [i["action"]["label"] for i in message["quickReply"]["items"]] == ["ดำเนินการ", "ยังไม่ได้ดำเนินการ"]
    assert message["text"] == "สถานะ"


def test_more_than_13_choices_become_a_paged_flex_carousel() -> None:
    buttons = [[Button(f"{i}. {LONG_TITLE} {i}", f"n1:m:m{i}")] for i in range(1, 31)]
    messages = render_replies([Reply("มาตรการทั้งหมด", buttons)], None)
    assert len(messages) <= 5
    assert not any("quickReply" in m for m in messages)
    flex = [m for m in messages if m["type"] == "flex"]
    bubbles = [b for m in flex for b in m["contents"]["contents"]]
    assert len(bubbles) == 5 and "หน้า 1/5" in json.dumps(bubbles[0], ensure_ascii=False)
    acts = actions(messages)
    assert [a["data"] for a in acts] == [f"n1:m:m{i}" for i in range(1, 31)]
    assert all(len(a["label"]) <= 20 and len(a["data"]) <= 300 for a in acts)
    assert LONG_TITLE in json.dumps(bubbles[2], ensure_ascii=False)  # full titles shown on every page
    for m in messages:
        Message.from_dict(m)


def test_text_over_5000_characters_is_split_and_data_over_300_is_never_sent() -> None:
    text = "\n".join(f"บรรทัดที่ {i} " + "ก" * 80 for i in range(200))
    messages = render_replies([Reply(text, [[Button("ok", "x" * 301), Button("ตกลง", "n:ok")]])], None)
    assert all(len(m["text"]) <= 5000 for m in messages) and len(messages) >= 4
    assert "".join(m["text"] for m in messages).count("บรรทัดที่") == 200
    assert [a["data"] for a in actions(messages)] == ["n:ok"]
    assert "quickReply" in messages[-1]


def test_documents_become_link_buttons_or_an_explanation(tmp_path: Path) -> None:
    doc = tmp_path / "r.docx"
    doc.write_bytes(b"docx")
    files = [OutFile(doc, "รายงาน.docx", "application/octet-stream")]
    [missing] = render_replies([Reply("สรุป"), Reply("", files=files)], None)
    assert missing["text"].startswith("สรุป") and "PUBLIC_BASE_URL" in missing["text"]
    links = DownloadLinks(b"k" * 32, tmp_path / "links", "https://bot.example.go.th/", FixedClock(datetime(2026, 2, 10, 9, 0)))
    [_, flex] = render_replies([Reply("สรุป"), Reply("", files=files)], links)
    button = flex["contents"]["footer"]["contents"][0]["action"]
    assert button["type"] == "uri" and button["label"] == "ไฟล์ Word"
    assert button["uri"].startswith("https://bot.example.go.th/dl/")
    assert "10:00" not in json.dumps(flex, ensure_ascii=False) and "11 ก.พ. 69 09:00" in json.dumps(flex, ensure_ascii=False)
    Message.from_dict(flex)


def test_push_counter_warns_caps_and_starts_again_next_month(tmp_path: Path) -> None:
    clock = FixedClock(datetime(2026, 1, 31, 23, 0, tzinfo=BANGKOK))
    path = tmp_path / "q.state"
    quota = PushQuota(path, 10, clock)
    due = [quota.record() for _ in range(10)]
    assert due[8] == ["warn"] and due[9] == ["cap"] and not any(due[:8])
    assert not quota.allows()
    assert quota.owed("p1") == ["warn", "cap"]
    quota.mark_told("p1", ["warn", "cap"])
    assert PushQuota(path, 10, clock).owed("p1") == []  # remembered across restarts
    clock.advance(timedelta(hours=2))  # February
    assert quota.allows() and quota.used == 0 and quota.owed("p1") == []


def test_link_secret_is_generated_once_with_private_permissions(tmp_path: Path) -> None:
    first = load_link_secret("", tmp_path)
    assert load_link_secret("", tmp_path) == first and len(first) >= 32
    assert stat.S_IMODE(os.stat(tmp_path / "link_secret").st_mode) == 0o600
    assert load_link_secret("from-the-environment-" * 2, tmp_path) == ("from-the-environment-" * 2).encode()
    (tmp_path / "link_secret").write_text("short")
    with pytest.raises(LinkError):
        load_link_secret("", tmp_path)


def test_links_check_signature_expiry_and_id_shape(tmp_path: Path) -> None:
    clock = FixedClock(datetime(2026, 2, 10, 9, 0, tzinfo=BANGKOK))
    links = DownloadLinks(b"s" * 32, tmp_path / "links", "https://x.example", clock, ttl=timedelta(hours=1))
    src = tmp_path / "a.docx"
    src.write_bytes(b"one")
    link = links.publish(src, "a.docx")
    src.write_bytes(b"two")  # the link serves the report as it was when the link was made
    _, file_id, expires, sig = link.url.rsplit("/", 3)
    assert links.check(file_id, expires, sig)
    assert links.resolve(file_id)[0].read_bytes() == b"one"  # type: ignore[index]
    other = DownloadLinks(b"t" * 32, tmp_path / "links", "https://x.example", clock)
    assert not other.check(file_id, expires, sig)  # another secret
    assert not links.check("../" + file_id[3:], expires, sig)
    assert links.resolve("../link_secret") is None
    clock.advance(timedelta(hours=1))
    assert not links.check(file_id, expires, sig)
    clock.advance(timedelta(days=2))
    links.publish(src, "b.docx")  # publishing prunes snapshots long expired
    assert links.resolve(file_id) is None


THAI = re.compile("[\u0e00-\u0e7f]")


def test_a_reader_who_chose_english_gets_the_adapters_own_words_in_english(tmp_path: Path) -> None:
    buttons = [[Button(f"{i}. Measure {i}", f"n1:m:m{i}")] for i in range(1, 21)]
    doc = tmp_path / "r.docx"
    doc.write_bytes(b"docx")
    files = [OutFile(doc, "report.docx", "application/octet-stream")]
    links = DownloadLinks(b"k" * 32, tmp_path / "links", "https://bot.example.go.th/", FixedClock(datetime(2026, 2, 10, 9, 0)))
    english = render_replies([Reply("All measures", buttons, lang="en"), Reply("", files=files, lang="en")], links)
    shown = json.dumps(english, ensure_ascii=False)
    assert not THAI.search(shown), THAI.findall(shown)
    assert "Page 1/4" in shown and "Word file" in shown and "11 Feb 2026 09:00" in shown
    thai = json.dumps(render_replies([Reply("มาตรการ", buttons), Reply("", files=files)], links), ensure_ascii=False)
    assert "หน้า 1/4" in thai and "ไฟล์ Word" in thai  # Thai stays the default


def test_the_engine_tells_the_adapter_the_readers_language() -> None:
    from tests.factory import make_office

    chat = make_office().register("u1", "officer", "กองคลัง", name="Somying")
    assert all(r.lang in ("", "th") for r in chat.say("/report"))
    chat.say("/lang en")
    replies = chat.say("/report")
    assert replies and all(r.lang == "en" for r in replies)
