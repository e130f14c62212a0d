"""`itabot doctor`'s checks: what a host needs, each one line with ✓/✗ and, when ✗, what to do.

Every check is a small async function of one `Probe` (the settings, the data directory, the injected
clock and one HTTP session); the platform APIs are asked at the configured base URLs, so tests point
them at local fake servers. A check that does not apply to this configuration says so with "–".
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import stat
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp

from storage.atomic import StoreCorrupted
from storage.clock import Clock
from storage.factory import StoreUnavailable, redact_url

from .config import Settings

__all__ = ["CHECKS", "FAIL", "OK", "SKIP", "Finding", "Probe", "run_checks"]

OK, FAIL, SKIP = "✓", "✗", "–"
TELEGRAM_API = "https://api.telegram.org"
LINE_API = "https://api.line.me"
MAX_SKEW_S = 60.0
RECENT_ERROR_S = 3600.0  # a webhook delivery error older than this is history, not a problem
QUOTA_WARN = 0.8  # the bot itself warns admins at 80 % of the month's pushes


@dataclass(frozen=True)
class Finding:
    """One line of the doctor's answer."""

    mark: str
    what: str
    detail: str
    fix: str = ""

    def line(self) -> str:
        """"✗ what: detail → fix"."""
        tail = f" → {self.fix}" if self.fix and self.mark == FAIL else ""
        return f"{self.mark} {self.what}: {self.detail}{tail}"


@dataclass
class Probe:
    """What the checks look at (built once by the command, or by a test)."""

    settings: Settings
    data_dir: Path
    clock: Clock
    database_url: str = ""
    evidence_dir: Path | None = None
    backup_dir: Path | None = None
    min_free_mb: int = 1024
    max_backup_hours: float = 26.0
    timeout: float = 5.0
    session: aiohttp.ClientSession | None = None
    server_times: list[datetime] = field(default_factory=list)  # Date headers of the APIs' answers

    @property
    def telegram_root(self) -> str:
        return (self.settings.telegram_api_base_url or TELEGRAM_API).rstrip("/")

    @property
    def line_root(self) -> str:
        return (self.settings.line_api_base_url or LINE_API).rstrip("/")

    @property
    def public(self) -> str:
        return self.settings.public_base_url.strip().rstrip("/")


class _Unreachable(Exception):
    """No HTTP answer (refused, DNS, timeout)."""


async def _get(probe: Probe, url: str, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    """GET a JSON endpoint: (status, body or None); remembers the server's clock from its Date header."""
    assert probe.session is not None
    try:
        async with probe.session.get(url, headers=headers, timeout=aiohttp.ClientTimeout(total=probe.timeout)) as r:
            date = r.headers.get("Date")
            if date:
                with contextlib.suppress(TypeError, ValueError):
                    probe.server_times.append(parsedate_to_datetime(date))
            try:
                body = await r.json(content_type=None)
            except ValueError:
                body = None
            return r.status, body
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        raise _Unreachable(f"{type(exc).__name__}: {str(exc)[:120]}") from exc


def _line_headers(probe: Probe) -> dict[str, str]:
    return {"Authorization": f"Bearer {probe.settings.line_access_token}"}


def _line_on(probe: Probe) -> bool:
    return bool(probe.settings.line_channel_secret and probe.settings.line_access_token)


# ----- storage ----------------------------------------------------------------------------------
async def check_store(probe: Probe) -> Finding:
    """PostgreSQL reachable and at this release's schema; or the TinyDB files all readable."""
    what = "ฐานข้อมูล / database"
    if probe.database_url:
        return await asyncio.to_thread(_check_pg, probe.database_url, what)
    if not probe.data_dir.is_dir():
        return Finding(FAIL, what, f"ไม่พบโฟลเดอร์ข้อมูล / no data directory {probe.data_dir}",
                       "ตั้ง ITABOT_DATA_DIR หรือ --data-dir / set ITABOT_DATA_DIR or --data-dir")
    try:
        from storage.tinydb_repo import TinyRepository

        repo = TinyRepository(probe.data_dir)
        offices = len(repo.list_orgs())
        repo.close()
    except (StoreCorrupted, OSError) as exc:
        return Finding(FAIL, what, f"อ่านไฟล์ข้อมูลไม่ได้ / a data file cannot be read: {str(exc)[:300]}",
                       "กู้จากไฟล์ .bak หรือสำรองล่าสุด / restore it from its .bak or the last backup")
    return Finding(OK, what, f"TinyDB {probe.data_dir} อ่านได้ครบ {offices} หน่วยงาน / readable, {offices} office(s)")


def _check_pg(url: str, what: str) -> Finding:
    from storage.pg_schema import LATEST, connect, current_version

    try:
        with connect(url, timeout=5) as conn:
            version = current_version(conn)
    except StoreUnavailable as exc:
        return Finding(FAIL, what, f"ติดต่อไม่ได้ / unreachable: {str(exc)[:200]}",
                       "ตรวจ ITABOT_DATABASE_URL และว่า PostgreSQL ทำงานอยู่ / check the URL and that PostgreSQL runs")
    where = redact_url(url)
    if version < LATEST:
        return Finding(FAIL, what, f"{where} โครงสร้างรุ่น {version} จาก {LATEST} / schema {version} of {LATEST}",
                       "สั่ง itabot migrate / run `itabot migrate`")
    if version > LATEST:
        return Finding(FAIL, what, f"{where} โครงสร้างใหม่กว่าโปรแกรม ({version} > {LATEST}) / schema newer than this release",
                       "ติดตั้ง itabot รุ่นใหม่ / install the newer itabot release")
    return Finding(OK, what, f"PostgreSQL {where} โครงสร้างรุ่น {version} ล่าสุด / reachable, schema {version} (latest)")


# ----- platforms --------------------------------------------------------------------------------
async def check_telegram_token(probe: Probe) -> Finding:
    """getMe answers with the bot: the token is valid."""
    what = "Telegram token"
    if not probe.settings.telegram_token:
        return Finding(SKIP, what, "ไม่ได้ตั้ง TELEGRAM_BOT_TOKEN / Telegram not configured")
    try:
        status, body = await _get(probe, f"{probe.telegram_root}/bot{probe.settings.telegram_token}/getMe")
    except _Unreachable as exc:
        return Finding(FAIL, what, f"ติดต่อ Telegram ไม่ได้ / cannot reach {probe.telegram_root}: {exc}",
                       "ตรวจเครือข่ายขาออก / check outgoing HTTPS")
    if status == 200 and isinstance(body, dict) and body.get("ok"):
        return Finding(OK, what, f"บอท @{body['result'].get('username', '?')} / valid")
    return Finding(FAIL, what, f"Telegram ปฏิเสธ token ({status}) / the token was rejected",
                   "ขอ token ใหม่จาก @BotFather แล้วตั้ง TELEGRAM_BOT_TOKEN / get a new token from @BotFather")


async def check_line_token(probe: Probe) -> Finding:
    """The bot info endpoint answers: the channel access token is valid."""
    what = "LINE token"
    if not _line_on(probe):
        return Finding(SKIP, what, "ไม่ได้ตั้ง LINE / LINE not configured")
    try:
        status, body = await _get(probe, f"{probe.line_root}/v2/bot/info", _line_headers(probe))
    except _Unreachable as exc:
        return Finding(FAIL, what, f"ติดต่อ LINE ไม่ได้ / cannot reach {probe.line_root}: {exc}",
                       "ตรวจเครือข่ายขาออก / check outgoing HTTPS")
    if status == 200 and isinstance(body, dict):
        return Finding(OK, what, f"{body.get('displayName', '?')} {body.get('basicId', '')} / valid")
    return Finding(FAIL, what, f"LINE ปฏิเสธ token ({status}) / the channel access token was rejected",
                   "ออก channel access token ใหม่ใน LINE Developers Console / issue a new one in the LINE console")


async def check_telegram_webhook(probe: Probe) -> Finding:
    """The webhook Telegram holds is the one `itabot run` serves (or none, when it polls)."""
    what = "Telegram webhook"
    if not probe.settings.telegram_token:
        return Finding(SKIP, what, "ไม่ได้ตั้ง Telegram / Telegram not configured")
    expected = probe.settings.telegram_webhook_url
    try:
        status, body = await _get(probe, f"{probe.telegram_root}/bot{probe.settings.telegram_token}/getWebhookInfo")
    except _Unreachable as exc:
        return Finding(FAIL, what, f"ถามไม่ได้ / cannot ask: {exc}", "ตรวจเครือข่ายขาออก / check outgoing HTTPS")
    info = body.get("result", {}) if status == 200 and isinstance(body, dict) else None
    if info is None:
        return Finding(FAIL, what, f"Telegram ตอบ {status} / answered {status}", "ตรวจ token / check the token")
    registered, error = str(info.get("url", "")), str(info.get("last_error_message", ""))
    error_age = probe.clock.now().timestamp() - float(info.get("last_error_date") or 0)
    if error_age > RECENT_ERROR_S:  # Telegram keeps the last error after deliveries work again
        error = ""
    if expected and probe.public and not expected.startswith(probe.public + "/"):
        return Finding(FAIL, what, f"TELEGRAM_WEBHOOK_URL {expected} ไม่อยู่ใต้ PUBLIC_BASE_URL / not under {probe.public}",
                       "ให้ทั้งสองใช้โดเมนเดียวกัน / use the same public host for both")
    if registered != expected:
        now = registered or "ไม่มี / none"
        return Finding(FAIL, what, f"ลงทะเบียนไว้ {now} แต่ควรเป็น {expected or 'ไม่มี (polling)'} / registered {now}, "
                       f"expected {expected or 'none (polling)'}",
                       "เริ่ม itabot run ใหม่ (ลงทะเบียนให้เอง) / restart `itabot run`, it registers the webhook")
    if error:
        return Finding(FAIL, what, f"Telegram ส่งไม่สำเร็จล่าสุด / last delivery failed: {error[:120]}",
                       "ตรวจ reverse proxy และ HTTPS / check the reverse proxy and HTTPS")
    if not expected:
        return Finding(OK, what, "ไม่มี webhook ใช้ polling (ทำงานได้ worker เดียว) / none: polling, one worker only")
    return Finding(OK, what, f"{registered} (ค้าง {info.get('pending_update_count', 0)} / pending)")


async def check_line_webhook(probe: Probe) -> Finding:
    """LINE delivers to PUBLIC_BASE_URL/line/webhook and delivery is switched on."""
    what = "LINE webhook"
    if not _line_on(probe):
        return Finding(SKIP, what, "ไม่ได้ตั้ง LINE / LINE not configured")
    if not probe.public:
        return Finding(FAIL, what, "ไม่ได้ตั้ง PUBLIC_BASE_URL / PUBLIC_BASE_URL is not set",
                       "ตั้ง PUBLIC_BASE_URL=https://โดเมน / set PUBLIC_BASE_URL")
    expected = f"{probe.public}/line/webhook"
    try:
        status, body = await _get(probe, f"{probe.line_root}/v2/bot/channel/webhook/endpoint", _line_headers(probe))
    except _Unreachable as exc:
        return Finding(FAIL, what, f"ถามไม่ได้ / cannot ask: {exc}", "ตรวจเครือข่ายขาออก / check outgoing HTTPS")
    endpoint = str(body.get("endpoint", "")) if status == 200 and isinstance(body, dict) else ""
    fix = f"ตั้ง Webhook URL เป็น {expected} และเปิด Use webhook ใน LINE console / set it there and turn on Use webhook"
    if endpoint != expected:
        return Finding(FAIL, what, f"ตั้งไว้ {endpoint or 'ไม่มี'} แต่ควรเป็น {expected} / set to {endpoint or 'none'}, expected {expected}", fix)
    if not body.get("active", False):
        return Finding(FAIL, what, f"{endpoint} ปิดอยู่ / switched off", fix)
    return Finding(OK, what, f"{endpoint}")


async def check_healthz(probe: Probe) -> Finding:
    """The public URL reaches a running itabot through the proxy."""
    what = "PUBLIC_BASE_URL /healthz"
    needed = _line_on(probe) or bool(probe.settings.telegram_webhook_url)
    if not probe.public:
        if needed:
            return Finding(FAIL, what, "ไม่ได้ตั้ง PUBLIC_BASE_URL / not set", "ตั้ง PUBLIC_BASE_URL / set PUBLIC_BASE_URL")
        return Finding(SKIP, what, "ไม่ได้ตั้ง (ไม่จำเป็นเมื่อใช้ Telegram polling) / not set, not needed for polling")
    try:
        status, body = await _get(probe, f"{probe.public}/healthz")
    except _Unreachable as exc:
        return Finding(FAIL, what, f"{probe.public} ไม่ตอบ / no answer: {exc}",
                       "ตรวจว่า itabot run ทำงานและ proxy ส่งต่อ / check itabot run and the proxy")
    if status == 200 and isinstance(body, dict) and body.get("ok"):
        return Finding(OK, what, f"{probe.public}/healthz 200")
    problems = "; ".join(body.get("problems", [])) if isinstance(body, dict) else ""
    return Finding(FAIL, what, f"ตอบ {status} / answered {status} {problems}".strip(),
                   "ดูบันทึกของ itabot run / read the itabot run log")


# ----- the machine ------------------------------------------------------------------------------
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


async def check_line_quota(probe: Probe) -> Finding:
    """How much of the month's LINE pushes are used (reminders wait once they run out)."""
    what = "โควตา LINE / LINE push quota"
    if not _line_on(probe):
        return Finding(SKIP, what, "ไม่ได้ตั้ง LINE / LINE not configured")
    try:
        s1, quota = await _get(probe, f"{probe.line_root}/v2/bot/message/quota", _line_headers(probe))
        s2, used = await _get(probe, f"{probe.line_root}/v2/bot/message/quota/consumption", _line_headers(probe))
    except _Unreachable as exc:
        return Finding(FAIL, what, f"ถามไม่ได้ / cannot ask: {exc}", "ตรวจเครือข่ายขาออก / check outgoing HTTPS")
    if s1 != 200 or s2 != 200 or not isinstance(quota, dict) or not isinstance(used, dict):
        return Finding(FAIL, what, f"LINE ตอบ {s1}/{s2} / answered {s1}/{s2}", "ตรวจ token / check the token")
    limit = int(quota["value"]) if quota.get("type") == "limited" else probe.settings.line_monthly_push_limit
    count = int(used.get("totalUsage", 0))
    detail = f"ใช้ไป {count:,} จาก {limit:,} ({count * 100 // max(1, limit)}%) เดือนนี้ / {count:,} of {limit:,} this month"
    if limit and count >= limit * QUOTA_WARN:
        return Finding(FAIL, what, detail, "อัปเกรดแพ็กเกจ LINE OA หรือให้ผู้ใช้เพิ่ม Telegram / upgrade the "
                       "LINE plan or move people to Telegram; replies stay free")
    return Finding(OK, what, detail)


Check = Callable[[Probe], Awaitable[Finding]]
CHECKS: tuple[Check, ...] = (
    check_modes,  # before the store check: opening TinyDB tightens the folder's own mode
    check_store, check_telegram_token, check_line_token, check_telegram_webhook, check_line_webhook,
    check_healthz, check_clock, check_timezone, check_disk, check_libreoffice, check_backup, check_line_quota,
)


async def run_checks(probe: Probe, checks: tuple[Check, ...] = CHECKS) -> list[Finding]:
    """Every check in order; a check that breaks is a ✗ line, never a traceback."""
    findings = []
    async with aiohttp.ClientSession() as session:
        probe.session = session
        for check in checks:
            try:
                findings.append(await check(probe))
            except Exception as exc:  # noqa: BLE001 - the doctor reports, it does not crash
                name = check.__name__.removeprefix("check_")
                findings.append(Finding(FAIL, name, f"ตรวจไม่สำเร็จ / check failed: {type(exc).__name__}: {exc}"))
        probe.session = None
    return findings
