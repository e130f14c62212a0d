"""Plans shipped with itabot: seed 002's FY 2569 measures (re-dated) and the OIT 2566 checklist."""

from __future__ import annotations

import re
from importlib import resources

from handlers.plan_import import ParsedPlan, parse_csv_bytes

__all__ = [
    "SAMPLE_FISCAL_YEAR",
    "TEMPLATES",
    "oit_template",
    "sample_csv_bytes",
    "sample_plan",
    "template_plan",
]

SAMPLE_FISCAL_YEAR = 2569
_SAMPLE_FILE = "plan_2569.csv"
_OIT_FILE = "oit_2566.csv"


def _read(name: str) -> bytes:
    return resources.files(__name__).joinpath(name).read_bytes()


def _redate(text: str, fiscal_year: int) -> str:
    """Move BE years of the sample's fiscal year (2568–2569) to the given one."""
    shift = fiscal_year - SAMPLE_FISCAL_YEAR
    return re.sub(r"(?<!\d)25(6[89])(?!\d)", lambda m: str(int(m.group(0)) + shift), text)


def sample_csv_bytes(fiscal_year: int = SAMPLE_FISCAL_YEAR) -> bytes:
    """Seed 002's measure table as a CSV file, its periods moved to the given fiscal year."""
    return _redate(_read(_SAMPLE_FILE).decode("utf-8"), fiscal_year).encode("utf-8")


def sample_plan(fiscal_year: int) -> ParsedPlan:
    """The demo plan: seed 002's 10 measures, "ตุลาคม 2568- กันยายน 2569" becoming the given year's months."""
    parsed = parse_csv_bytes(sample_csv_bytes(fiscal_year), "ตัวอย่างแผนมาตรการ (อบต.)")
    for row in parsed.rows:
        row.source = f"ตัวอย่างแถวที่ {row.no}"
    return parsed


def oit_template() -> ParsedPlan:
    """The OIT 2566 checklist (o1–o43, components and responsible units as seed 004 lists them)."""
    return parse_csv_bytes(_read(_OIT_FILE), "แบบตรวจ OIT ปี 2566 (o1–o43)")


TEMPLATES = {"oit-2566": oit_template}


def template_plan(name: str) -> ParsedPlan:
    """A shipped template by name (KeyError when there is none)."""
    return TEMPLATES[name]()
