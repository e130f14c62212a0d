"""Issue 14, item 4 for the report conversation: every message in Thai and English, nothing Thai left over."""

from __future__ import annotations

import re
import string

from handlers.texts import TEXTS
from tests.factory import make_office

THAI = re.compile(r"[\u0e00-\u0e7f]+")


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_message_key_exists_in_both_languages_with_the_same_placeholders() -> None:
    th, en = TEXTS["th"], TEXTS["en"]
    assert sorted(set(th) - set(en)) == [] and sorted(set(en) - set(th)) == []
    for key in th:
        assert _fields(th[key]) == _fields(en[key]), key
        assert not THAI.search(en[key]) or key in ("help", "lang_set"), (key, en[key])  # /lang th is named in Thai


def test_english_report_from_list_to_saved_shows_no_thai_but_the_plan() -> None:
    office = make_office()
    chat = office.register("u1", "officer", "กองคลัง", name="Somying")
    chat.say("/lang en")
    assert chat.text == "Language: English"
    screens = [chat.say("/report"), chat.press("2. ")]
    screens.append(chat.say("5"))  # a wrong number: hint and the same buttons
    screens += [chat.press("Done"), chat.say("Budget plan published on the website on 5 Jan 2026"), chat.say("/skip")]
    screens += [chat.say("see www.example.go.th/budget and ftp://x.org/f"), chat.send_file("plan.pdf", b"%PDF-1.4")]
    screens += [chat.say("no link here"), chat.press("Finish"), chat.press("Edit"), chat.press("« Back")]
    screens += [chat.press("Edit"), chat.press("🗑 Remove 2"), chat.press("Cancel"), chat.press("« Back to review")]
    screens.append(chat.press("Save"))
    assert "Saved ✅" in chat.text and office.repo.list_reports("o1", 2569)[0].summary.startswith("Budget plan")
    plan = [m.title for m in office.measures] + [m.steps for m in office.measures] + [m.period for m in office.measures]
    plan += [u.name for u in office.units.values()]
    for replies in screens:
        for reply in replies:
            text = reply.text + "\n" + "\n".join(b.label for b in reply.flat_buttons())
            for words in sorted(plan, key=len, reverse=True):
                text = text.replace(words, "") if words else text
            assert not THAI.search(text), text
