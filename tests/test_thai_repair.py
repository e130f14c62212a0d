"""What PDF extraction breaks in Thai, mended before a plan is read."""

from __future__ import annotations

import pytest

from handlers.thai_text import join_wrapped, repair_thai


@pytest.mark.parametrize(
    ("broken", "mended"),
    [
        ("ลำาดับ", "ลำดับ"),  # sara am drawn as nikhahit + sara aa, extracted as ำ + า
        ("กํากับติดตาม", "กำกับติดตาม"),  # nikhahit + sara aa
        ("ขั ้นตอน", "ขั้นตอน"),  # a space before a tone mark
        ("ประชาสัมพัน ธ์", "ประชาสัมพันธ์"),  # a space inside a dictionary word
        ("อนุมัติ ใน ภารกิจ", "อนุมัติ ใน ภารกิจ"),  # spaces between words stay
        ("Good Governance", "Good Governance"),
    ],
)
def test_repair(broken: str, mended: str) -> None:
    assert repair_thai(broken) == mended


def test_wrapped_lines_join_without_spaces_inside_thai_and_keep_list_items() -> None:
    assert join_wrapped(["- จัดทำ", "คู่มือ/แนวทาง", "การปฏิบัติ"]) == "- จัดทำคู่มือ/แนวทางการปฏิบัติ"
    assert join_wrapped(["ให้ชัดเจน", "2. แจ้งเวียน"]) == "ให้ชัดเจน\n2. แจ้งเวียน"
    assert join_wrapped(["ตุลาคม", "๒๕๖๘"]) == "ตุลาคม ๒๕๖๘"
