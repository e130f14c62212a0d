"""What a column holds, judged by its cells when its header says nothing the importer knows."""

from __future__ import annotations

import re
from collections.abc import Callable

from domain.fiscal import to_arabic_digits

from .units import looks_like_units

__all__ = ["guess_role"]

_MONTHS = (
    "มกราคม|กุมภาพันธ์|มีนาคม|เมษายน|พฤษภาคม|มิถุนายน|กรกฎาคม|สิงหาคม|กันยายน|ตุลาคม|พฤศจิกายน|ธันวาคม"
    r"|ม\.ค\.|ก\.พ\.|มี\.ค\.|เม\.ย\.|พ\.ค\.|มิ\.ย\.|ก\.ค\.|ส\.ค\.|ก\.ย\.|ต\.ค\.|พ\.ย\.|ธ\.ค\."
)
_PERIOD = re.compile(rf"(?:{_MONTHS})|ปีงบประมาณ|ตลอดปี|(?<!\d)25[6-9]\d(?!\d)")
_ROUNDS = re.compile(r"รอบ\s*(?:ที่\s*)?\d|\d\s*เดือน|ไตรมาส")

# Role → does one cell look like it. Order matters: rounds before period ("รอบ ๖ เดือน" names a month count).
_LOOKS: tuple[tuple[str, Callable[[str], bool]], ...] = (
    ("monitoring", lambda t: bool(_ROUNDS.search(t))),
    ("period", lambda t: bool(_PERIOD.search(t))),
    ("responsible", looks_like_units),
)


def guess_role(cells: list[str], taken: set[str]) -> str | None:
    """The role most of a column's filled cells look like (at least 3 in 5), among roles not yet taken."""
    filled = [to_arabic_digits(c) for c in cells if c.strip()]
    if not filled:
        return None
    for role, looks in _LOOKS:
        if role in taken:
            continue
        hits = sum(1 for c in filled if looks(c))
        if 5 * hits >= 3 * len(filled):
            return role
    return None
