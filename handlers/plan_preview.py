"""The Thai preview of a plan before it is stored: what was understood, and what to check."""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING

from domain.indicators import IndicatorRef, indicator_ref
from storage.models import ROUNDS

from .column_roles import ROLE_NAMES, ColumnGuess
from .plan_table import ParsedPlan, PlanRow
from .units import ALL_UNITS_LABEL, unit_key, unit_label

if TYPE_CHECKING:
    from .plan_import import ImportResult

__all__ = ["column_lines", "measure_lines", "preview_text"]


def _short(text: str, width: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _order(key: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", key)) or (99,)


def _ref(row: PlanRow) -> IndicatorRef:
    return indicator_ref(row.indicator, row.indicator_name) if row.indicator else IndicatorRef()


def _indicator_lines(rows: list[PlanRow]) -> list[str]:
    """One line per indicator with its name ("1 การปฏิบัติหน้าที่: 1"); OIT items by sub-indicator."""
    plan = [r for r in rows if not r.indicator.startswith("o")]
    names: dict[str, str] = {}
    for r in plan:
        names.setdefault(r.indicator, _ref(r).label or "ไม่ระบุตัวชี้วัด")
    counts = Counter(r.indicator for r in plan)
    lines = [f"• {names[k]}: {n}" for k, n in sorted(counts.items(), key=lambda kv: _order(kv[0]))]
    oit = sorted((r for r in rows if r.indicator.startswith("o")), key=lambda r: _order(r.indicator))
    if oit:
        subs = Counter(_ref(r).no for r in oit)
        detail = " · ".join(f"{k}: {n}" for k, n in sorted(subs.items(), key=lambda kv: _order(kv[0])) if k)
        lines.append(f"• OIT {oit[0].indicator}–{oit[-1].indicator}: {len(oit)}" + (f" ({detail})" if detail else ""))
    return lines


def _unit_line(rows: list[PlanRow]) -> str:
    """Measures per responsible unit, a section shown inside its division."""
    by_unit: Counter[str] = Counter()
    shown: dict[str, str] = {}
    for r in rows:
        names = [ALL_UNITS_LABEL] if r.all_units else (r.unit_names or ["ไม่มีผู้รับผิดชอบ"])
        for name in names:
            shown.setdefault(unit_key(name), unit_label(name, r.unit_parents.get(name, "")))
            by_unit[unit_key(name)] += 1
    return "ตามส่วนราชการ — " + " · ".join(f"{shown[k]}: {n}" for k, n in by_unit.most_common())


def _section_lines(rows: list[PlanRow]) -> list[str]:
    """Which cells were read as a section inside a division, so the admin can say when that is wrong."""
    pairs = {(n, r.unit_parents[n]) for r in rows for n in r.unit_names if n in r.unit_parents}
    if not pairs:
        return []
    listed = ", ".join(unit_label(n, p) for n, p in sorted(pairs))
    return [f"งานในกอง: {listed} — งานเป็นผู้รายงาน หัวหน้ากองเห็นผล"]


def column_lines(columns: list[ColumnGuess], tables: int = 3) -> list[str]:
    """Which column was read as what, and how sure: "คอลัมน์ 3 «แนวทาง» → ชื่อมาตรการ (92%)"."""
    lines: list[str] = []
    shown = list(dict.fromkeys(c.table for c in columns))[:tables]
    for table in shown:
        lines.append(f"การอ่านคอลัมน์ ตารางที่ {table}:")
        for c in (c for c in columns if c.table == table):
            head = f"«{_short(c.header, 30)}»" if c.header else "(ไม่มีหัวคอลัมน์)"
            lines.append(f"  คอลัมน์ {c.index} {head} → {ROLE_NAMES.get(c.role, c.role)} ({round(c.confidence * 100)}%)")
    more = len(dict.fromkeys(c.table for c in columns)) - len(shown)
    if more > 0:
        lines.append(f"  …และตารางแบบอื่นอีก {more} แบบ")
    return lines


def _who(row: PlanRow) -> str:
    if row.all_units:
        return ALL_UNITS_LABEL
    return ", ".join(unit_label(n, row.unit_parents.get(n, "")) for n in row.unit_names) or "ไม่มีผู้รับผิดชอบ"


def measure_lines(rows: list[PlanRow], limit: int) -> list[str]:
    """The measures themselves, each with its units and rounds, as they will be stored."""
    lines = []
    for r in rows[:limit]:
        rounds = "ทุกรอบ" if list(r.rounds) == list(ROUNDS) else "รอบ " + ", ".join(str(n) for n in r.rounds) + " เดือน"
        lines.append(f"  {r.no}. {_short(r.title, 60)} — {_short(_who(r), 40)} · {rounds}")
    if len(rows) > limit:
        lines.append(f"  …และอีก {len(rows) - limit} รายการ")
    return lines


def preview_text(
    parsed: ParsedPlan, fiscal_year: int, changes: ImportResult | None = None, limit: int = 15
) -> str:
    """Thai preview: counts per indicator and unit, rounds, sample text, and every row that could not be read."""
    rows = parsed.rows
    lines = [f"📄 {parsed.source or 'แผน'} → ปีงบประมาณ {fiscal_year}", f"พบมาตรการ {len(rows)} รายการ"]
    if parsed.encoding:
        lines.append(f"อ่านไฟล์เป็นรหัส {parsed.encoding}: ตรวจว่าตัวอักษรด้านล่างถูกต้อง")
    lines.extend(column_lines(parsed.columns))
    lines.append("มาตรการที่อ่านได้ (ผู้รับผิดชอบ · รอบรายงาน)")
    lines.extend(measure_lines(rows, limit))
    lines.append("ตามตัวชี้วัด")
    lines.extend(_indicator_lines(rows))
    lines.append(_unit_line(rows))
    lines.extend(_section_lines(rows))
    by_round = Counter(n for r in rows for n in r.rounds)
    lines.append("รอบที่ต้องรายงาน — " + " · ".join(f"{m} เดือน: {by_round.get(m, 0)}" for m in ROUNDS))
    if parsed.sections:
        lines.append(
            f"หัวข้อกลุ่ม (ไม่นับเป็นมาตรการ) {len(parsed.sections)}: "
            + ", ".join(_short(s) for s in parsed.sections[:5])
        )
    if changes is not None:
        lines.append(
            f"เทียบกับแผนเดิม — เพิ่ม {changes.created} · ปรับปรุง {changes.updated} · "
            f"เหมือนเดิม {changes.unchanged} · นำออก {changes.removed}"
        )
        if changes.units_created:
            lines.append("ส่วนราชการใหม่: " + ", ".join(changes.units_created))
        if changes.removed_with_reports:
            lines.append(f"⚠️ นำออก {changes.removed_with_reports} รายการที่มีรายงานแล้ว (รายงานยังเก็บไว้)")
    if parsed.problems:
        lines.append(f"⚠️ ข้อควรตรวจ {len(parsed.problems)} รายการ:")
        lines.extend(f"- {p}" for p in parsed.problems[:limit])
        if len(parsed.problems) > limit:
            lines.append(f"…และอีก {len(parsed.problems) - limit} รายการ")
    return "\n".join(lines)
