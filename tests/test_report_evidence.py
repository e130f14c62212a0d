"""Issue 14, item 2: the evidence step reads a message as a person wrote it, and answers it once."""

from __future__ import annotations

import pytest

from domain.events import Attachment, Incoming
from handlers.report_evidence import find_links
from tests.factory import Chat, make_office


@pytest.mark.parametrize(
    ("text", "links", "refused"),
    [
        ("www.khamniam.go.th", [("https://www.khamniam.go.th", "")], []),
        ("ประกาศ khamniam.go.th/news/12 แล้ว", [("https://khamniam.go.th/news/12", "ประกาศ แล้ว")], []),
        ("ดูที่https://a.go.th/x", [("https://a.go.th/x", "")], []),  # "ดูที่" only pointed at it
        ("รูปกิจกรรม (https://a.go.th/p?id=1).", [("https://a.go.th/p?id=1", "รูปกิจกรรม")], []),
        ("คำสั่ง https://a.go.th/1 และ ประกาศ http://b.go.th/2", [("https://a.go.th/1", "คำสั่ง"), ("http://b.go.th/2", "ประกาศ")], []),
        ("ftp://example.com/f และ javascript:alert(1)", [], ["ftp://example.com/f", "javascript:alert(1)"]),
        ("งบ 1.5 ล้าน ม.ค.2569 e.g. Note: ok a@b.com", [], []),
    ],
)
def test_links_are_found_inside_text_with_their_captions(text: str, links: list[tuple[str, str]], refused: list[str]) -> None:
    found = find_links(text)
    assert found.links == links and found.refused == refused


def _at_evidence() -> Chat:
    office = make_office()
    chat = office.register("u1", "officer", "กองคลัง")
    chat.say("/report")
    chat.press("2. เผยแพร่")
    chat.press("ดำเนินการ")
    chat.say("ประกาศแผนบนเว็บไซต์")
    chat.say("/skip")
    return chat


def test_a_pasted_paragraph_gets_one_answer_and_its_link_keeps_the_words_as_caption() -> None:
    chat = _at_evidence()
    paragraph = " ".join(["อบต.ได้ประกาศแผนการใช้จ่ายงบประมาณประจำปีให้ประชาชนทราบ"] * 20)
    replies = chat.say(paragraph)
    assert len(replies) == 1 and replies[0].text.count("ไม่พบลิงก์") == 1
    assert [b.label for b in chat.buttons()] == ["เสร็จสิ้น"]
    replies = chat.say(paragraph + " ดูได้ที่ www.khamniam.go.th/budget")
    assert len(replies) == 1 and "รับหลักฐานแล้ว: https://www.khamniam.go.th/budget (รวม 1 รายการ)" in chat.text
    chat.press("เสร็จสิ้น")
    assert "1. 🔗 https://www.khamniam.go.th/budget – อบต.ได้ประกาศ" in chat.text


def test_duplicates_are_ignored_with_a_note_and_captions_name_files() -> None:
    chat = _at_evidence()
    chat.say("https://example.go.th/a https://EXAMPLE.go.th/a/")
    assert "รวม 1 รายการ" in chat.text and "มีอยู่แล้ว ไม่เพิ่มซ้ำ: https://EXAMPLE.go.th/a/" in chat.text
    chat.send_file("order.pdf", b"%PDF-1.4 order")
    chat.send_file("order-copy.pdf", b"%PDF-1.4 order")
    assert "มีอยู่แล้ว ไม่เพิ่มซ้ำ: order-copy.pdf" in chat.text
    chat.last = chat.engine.handle(_photo_with_caption("IMG_1.jpg", "อบรมวันที่ 12 ม.ค."))
    assert "รับหลักฐานแล้ว: IMG_1.jpg" in chat.text
    chat.press("เสร็จสิ้น")
    assert "หลักฐาน: 3 รายการ" in chat.text and "3. 📷 IMG_1.jpg – อบรมวันที่ 12 ม.ค." in chat.text


def _photo_with_caption(name: str, caption: str) -> Incoming:
    """A Telegram photo with a caption, as the adapter hands it over (caption in .text)."""
    att = Attachment(name=name, data=b"\xff\xd8\xff" + b"1" * 20, mime="image/jpeg", size=23, kind="photo")
    return Incoming("test", "u1", "file", text=caption, attachments=[att], chat_id="u1")
