"""The doctor's checks of the machine: clock, time zone, disk, file modes, LibreOffice, the last backup."""

from __future__ import annotations

import asyncio
import os
import shutil
import stat
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from .doctor_probe import FAIL, OK, SKIP, Finding, Probe

__all__ = ["check_backup", "check_clock", "check_disk", "check_libreoffice", "check_modes", "check_timezone"]

MAX_SKEW_S = 60.0


async def check_clock(probe: Probe) -> Finding:
    """The bot's clock agrees with the platforms' servers (reminders go out on time)."""
    what = "นาฬิกา / clock"
    if not probe.server_times:
        return Finding(SKIP, what, "ไม่มีเซิร์ฟเวอร์ให้เทียบ / no server answered to compare with")
    skew = (probe.clock.now() - probe.server_times[-1]).total_seconds()
    if abs(skew) > MAX_SKEW_S:
        return Finding(FAIL, what, f"ต่างจากเซิร์ฟเวอร์ {skew:+.0f} วินาที / {skew:+.0f} s off the servers' time",
                       "เปิด NTP: timedatectl set-ntp true / turn on NTP")
    return Finding(OK, what, f"ตรงกับเซิร์ฟเวอร์ ({skew:+.0f} วินาที) / in step ({skew:+.0f} s)")


async def check_timezone(probe: Probe) -> Finding:
    """Asia/Bangkok is known (tzdata) and the system's zone matches it, so logs read like the bot's times."""
    what = "เขตเวลา / time zone"
    try:
        bangkok = ZoneInfo("Asia/Bangkok")
    except (KeyError, ValueError, OSError):
        return Finding(FAIL, what, "ไม่รู้จัก Asia/Bangkok / unknown", "ติดตั้ง tzdata / install tzdata")
    offset_h = time.localtime().tm_gmtoff / 3600
    name = os.environ.get("TZ") or time.tzname[0]
    if offset_h != 7:
        return Finding(FAIL, what, f"ระบบใช้ {name} (UTC{offset_h:+g}) / the system uses UTC{offset_h:+g}",
                       "timedatectl set-timezone Asia/Bangkok (หรือ TZ=Asia/Bangkok) / so logs match the bot's times")
    assert bangkok is not None
    return Finding(OK, what, f"Asia/Bangkok (UTC+7) {name}")


def _existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


async def check_disk(probe: Probe) -> Finding:
    """Room for the data, evidence files, the inbox and backups."""
    what = "พื้นที่ดิสก์ / free disk"
    usage = shutil.disk_usage(_existing(probe.data_dir.resolve()))
    free_mb = usage.free // (1024 * 1024)
    detail = f"ว่าง {free_mb:,} MB ({usage.free * 100 // max(1, usage.total)}%) / {free_mb:,} MB free"
    if free_mb < probe.min_free_mb:
        return Finding(FAIL, what, f"{detail}, ต่ำกว่า / below {probe.min_free_mb:,} MB",
                       "ลบสำรองเก่าหรือขยายดิสก์ / remove old backups or grow the disk")
    return Finding(OK, what, detail)


def _loose(root: Path) -> list[Path]:
    """Folders other than 0700 and files readable or writable by group or others under root."""
    found = []
    for path in [root, *root.rglob("*")]:
        try:
            st = path.lstat()
        except OSError:
            continue
        if stat.S_ISLNK(st.st_mode):
            continue
        if st.st_mode & 0o077:
            found.append(path)
    return found


async def check_modes(probe: Probe) -> Finding:
    """Personal data stays private: folders 0700, files 0600."""
    what = "สิทธิ์ไฟล์ / data directory modes"
    roots = [p for p in (probe.data_dir, probe.evidence_dir) if p is not None and p.is_dir()]
    if len(roots) == 2 and roots[1].resolve().is_relative_to(roots[0].resolve()):
        roots = roots[:1]  # the evidence folder inside the data directory is walked once
    if not roots:
        return Finding(SKIP, what, "ไม่มีโฟลเดอร์ข้อมูล / no data directory")
    loose = [p for root in roots for p in await asyncio.to_thread(_loose, root)]
    if loose:
        first = loose[0]
        return Finding(FAIL, what, f"{len(loose)} รายการที่ผู้อื่นเข้าถึงได้ เช่น / open to others, e.g. {first} "
                       f"({stat.S_IMODE(first.lstat().st_mode):04o})",
                       f"chmod -R go-rwx {' '.join(str(r) for r in roots)}")
    return Finding(OK, what, f"{', '.join(str(r) for r in roots)} 0700/0600")


async def check_libreoffice(probe: Probe) -> Finding:
    """The round report's PDF needs LibreOffice."""
    what = "LibreOffice (PDF)"
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if not found:
        return Finding(FAIL, what, "ไม่พบ ทำ PDF ไม่ได้ (ได้แต่ DOCX) / missing: no PDF, DOCX only",
                       "apt install libreoffice-writer-nogui")
    return Finding(OK, what, found)


async def check_backup(probe: Probe) -> Finding:
    """A recent backup exists (itabot backup, or pg_dump files in ITABOT_BACKUP_DIR)."""
    what = "สำรองข้อมูล / last backup"
    folder = probe.backup_dir or probe.data_dir / "backups"
    files = [p for p in folder.glob("*") if p.is_file() and not p.name.startswith(".")] if folder.is_dir() else []
    fix = ("ตั้งสำรองรายวัน: itabot backup หรือ pg_dump (ดู docs/hosting.md) / schedule a daily "
           "`itabot backup` or pg_dump (docs/hosting.md)")
    if not files:
        return Finding(FAIL, what, f"ไม่มีไฟล์สำรองใน {folder} / no backup in {folder}", fix)
    newest = max(files, key=lambda p: p.stat().st_mtime)
    hours = (probe.clock.now().timestamp() - newest.stat().st_mtime) / 3600
    detail = f"{newest.name} เมื่อ {hours:.0f} ชั่วโมงก่อน / {hours:.0f} h ago"
    if hours > probe.max_backup_hours:
        return Finding(FAIL, what, f"{detail}, เก่าเกิน {probe.max_backup_hours:g} ชั่วโมง / older than "
                       f"{probe.max_backup_hours:g} h", fix)
    return Finding(OK, what, detail)
