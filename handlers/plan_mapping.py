"""The mapping step: the tables a document holds shown briefly, the admin's "title=3,…" read, and mappings
remembered per office by table shape so next year's document of the same shape imports by itself."""

from __future__ import annotations

import re
from typing import Any

from storage.repository import Repository

from .column_roles import ROLE_NAMES
from .plan_blocks import RawTable
from .plan_table import PlanImportError

__all__ = [
    "MAPPINGS_SETTING",
    "parse_columns",
    "remember_mapping",
    "role_help",
    "stored_mappings",
    "tables_text",
]

MAPPINGS_SETTING = "import_mappings"  # table shape → {"0-based column": role}
_ALIASES = {"no": "number", "monitoring": "rounds", "analysis": "weakness", "measure": "title", "unit": "responsible",
            "units": "responsible", "action": "steps", "question": "topic"}


def _cut(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def tables_text(tables: list[RawTable], rows: int = 3, limit: int = 8) -> str:
    """Each table's number, size and first rows, short enough for a phone."""
    lines: list[str] = []
    for table in tables[:limit]:
        lines.append(f"ตารางที่ {table.number} ({table.width} คอลัมน์ × {len(table.rows)} แถว)")
        for r, row in enumerate(table.rows[:rows], start=1):
            cells = " | ".join(f"{c}:{_cut(text, 24) or '-'}" for c, text in enumerate(row.cells, start=1))
            lines.append(f"  แถว {r}: {cells}")
    if len(tables) > limit:
        lines.append(f"…และอีก {len(tables) - limit} ตาราง")
    return "\n".join(lines)


def role_help() -> str:
    """The role words an admin may use (English key or Thai name)."""
    return ", ".join(f"{k}={v}" for k, v in ROLE_NAMES.items() if k != "ignore")


def _role(word: str) -> str:
    word = word.strip().lower()
    word = _ALIASES.get(word, word)
    if word in ROLE_NAMES:
        return word
    by_thai = {v: k for k, v in ROLE_NAMES.items()}
    if word in by_thai:
        return by_thai[word]
    raise PlanImportError(f"ไม่รู้จัก «{word}»: ใช้ {role_help()}")


def parse_columns(spec: str) -> dict[int, str]:
    """ "title=3,responsible=5" (1-based columns, Thai or Arabic digits) → {2: "title", 4: "responsible"}."""
    out: dict[int, str] = {}
    for part in (p.strip() for p in re.split(r"[,;\s]+", spec.strip()) if p.strip()):
        role, sep, col = part.partition("=")
        if not sep:
            raise PlanImportError(f"อ่าน «{part}» ไม่ได้: ใช้รูปแบบ title=3,responsible=5")
        digits = col.strip().translate(str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789"))
        if not digits.isdigit() or not 1 <= int(digits) <= 63:
            raise PlanImportError(f"คอลัมน์ «{col}» ไม่ถูกต้อง: ใช้เลขคอลัมน์ 1, 2, 3 …")
        out[int(digits) - 1] = _role(role)
    if "title" not in out.values():
        raise PlanImportError("ต้องบอกว่าคอลัมน์ใดเป็นชื่อมาตรการ เช่น title=3")
    return out


def stored_mappings(repo: Repository, org_id: str) -> dict[str, dict[int, str]]:
    """The office's remembered mappings, by table shape."""
    raw: Any = repo.get_setting(org_id, MAPPINGS_SETTING, {}) or {}
    out: dict[str, dict[int, str]] = {}
    for shape, columns in raw.items() if isinstance(raw, dict) else ():
        if isinstance(columns, dict):
            out[str(shape)] = {int(c): str(r) for c, r in columns.items() if str(c).isdigit() and r in ROLE_NAMES}
    return out


def remember_mapping(repo: Repository, org_id: str, mapping: dict[str, Any]) -> None:
    """Keep the mapping an import used, for the office's next document of the same shape."""
    if not mapping or not mapping.get("shape"):
        return
    raw: Any = repo.get_setting(org_id, MAPPINGS_SETTING, {}) or {}
    stored = dict(raw) if isinstance(raw, dict) else {}
    stored[str(mapping["shape"])] = dict(mapping["columns"])
    repo.set_setting(org_id, MAPPINGS_SETTING, stored)
