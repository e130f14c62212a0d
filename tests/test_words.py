"""One parser for people's words: rounds, roles and units typed the ways officers type them."""

from __future__ import annotations

import pytest

from domain.words import WordError, normalize, parse_role, parse_round, parse_unit
from storage.models import Unit

UNITS = [
    Unit("u1", "o", "สำนักปลัด", ["สำนักงานปลัด"]),
    Unit("u2", "o", "กองคลัง"),
    Unit("u3", "o", "กองช่าง"),
    Unit("u4", "o", "งานพัสดุ", parent_id="u2"),
]


@pytest.mark.parametrize(
    ("text", "want"),
    [("3", 3), ("๓", 3), ("รอบ 3", 3), ("รอบ ๖ เดือน", 6), ("6 เดือน", 6), ("ไตรมาส 1", 3), ("ไตรมาสที่ ๔", 12),
     ("Q2", 6), ("round 9", 9), ("12", 12), ("ทั้งปี", 12)],
)
def test_rounds_as_people_type_them(text: str, want: int) -> None:
    assert parse_round(text) == want


@pytest.mark.parametrize("text", ["4", "abc", "รอบ 5", "", "ไตรมาส 5", "13"])
def test_a_wrong_round_lists_the_valid_ones(text: str) -> None:
    with pytest.raises(WordError) as err:
        parse_round(text)
    assert err.value.choices == ["รอบ 3 เดือน", "รอบ 6 เดือน", "รอบ 9 เดือน", "รอบ 12 เดือน"]


@pytest.mark.parametrize(
    ("text", "want"),
    [("เจ้าหน้าที่", "officer"), ("officer", "officer"), ("Officer", "officer"), ("หัวหน้า", "head"),
     ("head", "head"), ("ผู้ดูแล", "admin"), ("ADMIN", "admin"), ("ผู้รับผิดชอบ", "officer")],
)
def test_roles_in_thai_or_english(text: str, want: str) -> None:
    assert parse_role(text) == want


def test_a_misspelt_role_gets_a_suggestion() -> None:
    with pytest.raises(WordError) as err:
        parse_role("offcer")
    assert err.value.suggestion == "officer"
    assert "เจ้าหน้าที่ (officer)" in err.value.choices


@pytest.mark.parametrize(
    ("text", "want"),
    [("1", "u1"), ("๒", "u2"), ("สำนักปลัด", "u1"), ("สำนักงานปลัด", "u1"), ("กอง คลัง", "u2"), ("พัสดุ", "u4")],
)
def test_units_by_number_name_alias_or_part(text: str, want: str) -> None:
    assert parse_unit(text, UNITS).id == want


def test_an_ambiguous_or_unknown_unit_says_did_you_mean() -> None:
    with pytest.raises(WordError):
        parse_unit("กอง", UNITS)  # กองคลัง or กองช่าง
    with pytest.raises(WordError) as err:
        parse_unit("กองชาง", UNITS)
    assert err.value.suggestion == "กองช่าง"
    assert err.value.choices[0] == "1. สำนักปลัด"
    with pytest.raises(WordError):
        parse_unit("9", UNITS)


def test_normalize_composes_sara_am_and_drops_invisible_marks() -> None:
    assert normalize("ดํา\u200bเนินการ") == normalize("ดำเนินการ")
    assert normalize(" รอบ  ๓ ") == "รอบ 3"
