"""Bring a data directory written by an older itabot up to today's records, after a backup, keeping every record.

The schema version lives in the registry (table "meta"). Each step rewrites raw JSON tables and is
idempotent, and the version is written last, so a crash mid-way repeats the step on the next start.
Steps carry their own copy of what they need to know (indicator names, section words): a migration
describes the data of its time and must not change when the domain code does later.
"""

from __future__ import annotations

import fcntl
import io
import json
import re
import tarfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .atomic import AtomicJSONStorage, atomic_write_bytes
from .state_store import state_file_name

__all__ = ["SCHEMA_VERSION", "MigrationError", "migrate_data_dir", "schema_version"]

SCHEMA_VERSION = 3
_META = "meta"


class MigrationError(RuntimeError):
    """The data directory cannot be brought up to date; the message (Thai/English) says why and where."""


# ----- what version 2 knows (frozen: see the module docstring) --------------------------------
_ITA_NAMES = {
    "1": "การปฏิบัติหน้าที่", "2": "การใช้งบประมาณ", "3": "การใช้อำนาจ", "4": "การใช้ทรัพย์สินของราชการ",
    "5": "การแก้ไขปัญหาการทุจริต", "6": "คุณภาพการดำเนินงาน", "7": "ประสิทธิภาพการสื่อสาร",
    "8": "การปรับปรุงการทำงาน", "9": "การเปิดเผยข้อมูล", "10": "การป้องกันการทุจริต",
}  # fmt: skip
_OIT_SUBS = (
    (1, 10, "9.1", "ข้อมูลพื้นฐาน"),
    (11, 18, "9.2", "การบริหารงานการดำเนินงาน"),
    (19, 22, "9.3", "การจัดซื้อจัดจ้าง"),
    (23, 26, "9.4", "การบริหารและพัฒนาทรัพยากรบุคคล"),
    (27, 30, "9.5", "การส่งเสริมความโปร่งใส"),
    (31, 38, "10.1", "การดำเนินการเพื่อป้องกันการทุจริต"),
    (39, 43, "10.2", "มาตรการส่งเสริมคุณธรรมและความโปร่งใส"),
)
_SECTION_WORDS = ("งาน", "ฝ่าย", "หน่วย", "กลุ่มงาน", "ศูนย์")
_DIVISION_WORDS = ("กอง", "สำนัก", "ส่วน")
_COMPONENT_START = ("แสดง", "มี", "เป็น", "ระบุ")


def _components(text: str) -> list[str]:
    """ "- แสดง … - มี …" as a list; a dash joining short words or dates ("ชื่อ - นามสกุล") stays inside."""
    items: list[str] = []
    for part in (p.strip() for p in re.split(r"(?:^|(?<=\s))[-•]\s+", text.strip())):
        if not part:
            continue
        first = part.split()[0]
        if items and (first[:1] in "0123456789๐๑๒๓๔๕๖๗๘๙" or (len(first) <= 8 and not first.startswith(_COMPONENT_START))):
            items[-1] = f"{items[-1]} - {part}"
        else:
            items.append(part)
    return items


# ----- files ----------------------------------------------------------------------------------
@contextmanager
def _locked(data_dir: Path) -> Iterator[None]:
    """The same cross-process lock the repository's writers take."""
    with open(data_dir / ".lock", "a+b") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _db_files(data_dir: Path) -> list[Path]:
    """The database files a backup must hold (the registry and every organization's files)."""
    found = [data_dir / "registry.json"] if (data_dir / "registry.json").exists() else []
    return found + sorted((data_dir / "orgs").glob("*/*.json")) + sorted((data_dir / "orgs").glob("*/states/*.state"))


def schema_version(data_dir: Path) -> int:
    """The directory's schema: 0 when empty, 1 for files written before versions were recorded."""
    tables = AtomicJSONStorage(data_dir / "registry.json").read() or {}
    for row in tables.get(_META, {}).values():
        if row.get("key") == "schema_version":
            return int(row.get("value", 1))
    return 1 if _db_files(data_dir) else 0


def _stamp(data_dir: Path, version: int) -> None:
    storage = AtomicJSONStorage(data_dir / "registry.json")
    tables = storage.read() or {}
    tables[_META] = {"1": {"key": "schema_version", "value": version}}
    storage.write(tables)


def _backup(data_dir: Path, old: int) -> Path:
    """A .tar.gz of every database file, 0600, taken before anything is rewritten."""
    folder = data_dir / "backups"
    folder.mkdir(mode=0o700, exist_ok=True)
    stem = f"pre-migration-v{old}-to-v{SCHEMA_VERSION}"
    path = folder / f"{stem}.tar.gz"
    n = 1
    while path.exists():
        n += 1
        path = folder / f"{stem}-{n}.tar.gz"
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for file in _db_files(data_dir):
            tar.add(file, arcname=str(file.relative_to(data_dir)))
    atomic_write_bytes(path, out.getvalue())
    path.chmod(0o600)
    return path


# ----- step 1 → 2: indicator names, OIT codes, sections ---------------------------------------
def _name_indicator(m: dict[str, Any]) -> bool:
    """ "1" → 1 การปฏิบัติหน้าที่; "o12" → OIT o12 of 9.2 with its components listed. True if changed."""
    indicator = str(m.get("indicator", ""))
    oit = re.fullmatch(r"o(\d{1,2})", indicator)
    if oit and not m.get("oit_code"):
        n = int(oit.group(1))
        sub = next(((no, name) for first, last, no, name in _OIT_SUBS if first <= n <= last), ("", ""))
        m["oit_code"], (m["indicator_no"], m["indicator_name"]) = indicator, sub
        if not m.get("component_list") and m.get("components"):
            m["component_list"] = _components(str(m["components"]))
        return True
    if indicator in _ITA_NAMES and not m.get("indicator_no"):
        m["indicator_no"], m["indicator_name"] = indicator, _ITA_NAMES[indicator]
        m["indicator"] = f"{indicator} {_ITA_NAMES[indicator]}"
        return True
    return False


def _written_as_one(text: str, section: dict[str, Any], division: dict[str, Any]) -> bool:
    """The responsible cell wrote the section then its division as one place ("งานพัสดุ/ กองคลัง")."""
    compact = re.sub(r"\s+", "", text)
    pairs = (re.sub(r"\s+", "", section["name"]), re.sub(r"\s+", "", division["name"]))
    return any(f"{pairs[0]}{sep}{pairs[1]}" in compact for sep in ("", "/", "(", "สังกัด", "ใน"))


def _sections(measure: dict[str, Any], units: dict[str, dict[str, Any]]) -> list[tuple[str, str]]:
    """(section id, division id) pairs a measure lists as two units although they are one place."""
    ids = list(measure.get("unit_ids", []))
    found = []
    for a, b in zip(ids, ids[1:], strict=False):
        section, division = units.get(a), units.get(b)
        if section is None or division is None:
            continue
        known = section.get("parent_id") == b
        guessed = (
            not section.get("parent_id")
            and str(section["name"]).startswith(_SECTION_WORDS)
            and str(division["name"]).startswith(_DIVISION_WORDS)
            and _written_as_one(str(measure.get("responsible_text", "")), section, division)
        )
        if known or guessed:
            found.append((a, b))
    return found


def _org_to_v2(org_dir: Path, notes: list[str]) -> None:
    """Name the indicators of every year, then make each "งาน/กอง" pair one section of its division."""
    org_store = AtomicJSONStorage(org_dir / "org.json")
    org_tables = org_store.read() or {}
    units = {str(u["id"]): u for u in org_tables.get("units", {}).values()}
    years = [(p, AtomicJSONStorage(p)) for p in sorted(org_dir.glob("fy*.json"))]
    loaded = [(p, s, s.read() or {}) for p, s in years]
    parented = False
    for _, _, tables in loaded:
        for m in tables.get("measures", {}).values():
            for a, b in _sections(m, units):
                if not units[a].get("parent_id"):
                    units[a]["parent_id"] = b
                    parented = True
                    notes.append(f"{org_dir.name}: {units[a]['name']} เป็นงานใน{units[b]['name']}")
    if parented:  # parents first: a crash before the years are written finds them and finishes
        org_store.write(org_tables)
    for path, store, tables in loaded:
        answered = {(r.get("measure_id"), r.get("unit_id")) for r in tables.get("reports", {}).values()}
        changed = False
        for m in tables.get("measures", {}).values():
            changed = _name_indicator(m) or changed
            for _, b in _sections(m, units):
                if (m.get("id"), b) in answered:
                    notes.append(
                        f"{org_dir.name}/{path.name} «{str(m.get('title'))[:40]}»: {units[b]['name']} "
                        "รายงานมาตรการนี้ไว้แล้ว จึงยังเป็นผู้รับผิดชอบร่วม"
                    )
                    continue
                m["unit_ids"] = [u for u in m["unit_ids"] if u != b]
                changed = True
        if changed:
            store.write(tables)


# ----- step 2 → 3: conversation states leave the office file ---------------------------------
def _org_to_v3(org_dir: Path, notes: list[str]) -> None:
    """Each chat's state goes to its own file (states/<key>.state, one JSON line), then leaves org.json."""
    org_store = AtomicJSONStorage(org_dir / "org.json")
    tables = org_store.read() or {}
    states = tables.get("states")
    if states is None:
        return
    for row in states.values():
        if isinstance(row.get("key"), str) and isinstance(row.get("state"), dict):
            line = json.dumps({"k": row["key"], "s": row["state"]}, ensure_ascii=False, separators=(",", ":")) + "\n"
            atomic_write_bytes(org_dir / "states" / state_file_name(row["key"]), line.encode("utf-8"))
    del tables["states"]  # written last: a crash before this repeats the (same) state files
    org_store.write(tables)
    if states:
        notes.append(f"{org_dir.name}: ย้ายสถานะการสนทนา {len(states)} รายการไปไว้ใน states/")


_STEPS: dict[int, Callable[[Path, list[str]], None]] = {1: _org_to_v2, 2: _org_to_v3}  # from version n to n + 1


def migrate_data_dir(data_dir: Path) -> Path | None:
    """Migrate in place when the directory is older than this release; the backup's path, or None."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        return None
    try:
        with _locked(data_dir):
            version = schema_version(data_dir)
            if version > SCHEMA_VERSION:
                raise MigrationError(
                    f"ข้อมูลใน {data_dir} มาจาก itabot รุ่นที่ใหม่กว่า (รูปแบบ {version}): ใช้ itabot รุ่นล่าสุด / "
                    f"{data_dir} was written by a newer itabot (schema {version}): upgrade itabot."
                )
            if version == SCHEMA_VERSION:
                return None
            if version == 0:
                _stamp(data_dir, SCHEMA_VERSION)
                return None
            notes: list[str] = []
            backup = _backup(data_dir, version)
            for step in range(version, SCHEMA_VERSION):
                for org_dir in sorted(p for p in (data_dir / "orgs").glob("*") if p.is_dir()):
                    _STEPS[step](org_dir, notes)
            _stamp(data_dir, SCHEMA_VERSION)
            log = backup.with_name(backup.name.replace(".tar.gz", ".txt"))
            atomic_write_bytes(log, ("\n".join(notes) + "\n").encode("utf-8"))
            log.chmod(0o600)
            return backup
    except OSError as exc:
        raise MigrationError(
            f"ปรับรูปแบบข้อมูลใน {data_dir} ไม่ได้ ({exc.strerror or exc}): ตรวจสิทธิ์เขียนและพื้นที่ดิสก์ / "
            f"cannot migrate {data_dir}: check write permission and free space."
        ) from exc
