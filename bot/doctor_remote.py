"""The doctor's checks that ask something over the network: the database, Telegram, LINE, the public URL."""

from __future__ import annotations

import asyncio

from storage.atomic import StoreCorrupted
from storage.factory import StoreUnavailable, redact_url

from .doctor_probe import FAIL, OK, SKIP, Finding, Probe, Unreachable, get_json, line_headers, line_on

__all__ = [
    "check_healthz", "check_line_quota", "check_line_token", "check_line_webhook", "check_store",
    "check_telegram_token", "check_telegram_webhook",
]

RECENT_ERROR_S = 3600.0  # a webhook delivery error older than this is history, not a problem
QUOTA_WARN = 0.8  # the bot itself warns admins at 80 % of the month's pushes


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
        status, body = await get_json(probe, f"{probe.telegram_root}/bot{probe.settings.telegram_token}/getMe")
    except Unreachable as exc:
        return Finding(FAIL, what, f"ติดต่อ Telegram ไม่ได้ / cannot reach {probe.telegram_root}: {exc}",
                       "ตรวจเครือข่ายขาออก / check outgoing HTTPS")
    if status == 200 and isinstance(body, dict) and body.get("ok"):
        return Finding(OK, what, f"บอท @{body['result'].get('username', '?')} / valid")
    return Finding(FAIL, what, f"Telegram ปฏิเสธ token ({status}) / the token was rejected",
                   "ขอ token ใหม่จาก @BotFather แล้วตั้ง TELEGRAM_BOT_TOKEN / get a new token from @BotFather")


async def check_line_token(probe: Probe) -> Finding:
    """The bot info endpoint answers: the channel access token is valid."""
    what = "LINE token"
    if not line_on(probe):
        return Finding(SKIP, what, "ไม่ได้ตั้ง LINE / LINE not configured")
    try:
        status, body = await get_json(probe, f"{probe.line_root}/v2/bot/info", line_headers(probe))
    except Unreachable as exc:
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
        status, body = await get_json(probe, f"{probe.telegram_root}/bot{probe.settings.telegram_token}/getWebhookInfo")
    except Unreachable as exc:
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
    if not line_on(probe):
        return Finding(SKIP, what, "ไม่ได้ตั้ง LINE / LINE not configured")
    if not probe.public:
        return Finding(FAIL, what, "ไม่ได้ตั้ง PUBLIC_BASE_URL / PUBLIC_BASE_URL is not set",
                       "ตั้ง PUBLIC_BASE_URL=https://โดเมน / set PUBLIC_BASE_URL")
    expected = f"{probe.public}/line/webhook"
    try:
        status, body = await get_json(probe, f"{probe.line_root}/v2/bot/channel/webhook/endpoint", line_headers(probe))
    except Unreachable as exc:
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
    needed = line_on(probe) or bool(probe.settings.telegram_webhook_url)
    if not probe.public:
        if needed:
            return Finding(FAIL, what, "ไม่ได้ตั้ง PUBLIC_BASE_URL / not set", "ตั้ง PUBLIC_BASE_URL / set PUBLIC_BASE_URL")
        return Finding(SKIP, what, "ไม่ได้ตั้ง (ไม่จำเป็นเมื่อใช้ Telegram polling) / not set, not needed for polling")
    try:
        status, body = await get_json(probe, f"{probe.public}/healthz")
    except Unreachable as exc:
        return Finding(FAIL, what, f"{probe.public} ไม่ตอบ / no answer: {exc}",
                       "ตรวจว่า itabot run ทำงานและ proxy ส่งต่อ / check itabot run and the proxy")
    if status == 200 and isinstance(body, dict) and body.get("ok"):
        return Finding(OK, what, f"{probe.public}/healthz 200")
    problems = "; ".join(body.get("problems", [])) if isinstance(body, dict) else ""
    return Finding(FAIL, what, f"ตอบ {status} / answered {status} {problems}".strip(),
                   "ดูบันทึกของ itabot run / read the itabot run log")



async def check_line_quota(probe: Probe) -> Finding:
    """How much of the month's LINE pushes are used (reminders wait once they run out)."""
    what = "โควตา LINE / LINE push quota"
    if not line_on(probe):
        return Finding(SKIP, what, "ไม่ได้ตั้ง LINE / LINE not configured")
    try:
        s1, quota = await get_json(probe, f"{probe.line_root}/v2/bot/message/quota", line_headers(probe))
        s2, used = await get_json(probe, f"{probe.line_root}/v2/bot/message/quota/consumption", line_headers(probe))
    except Unreachable as exc:
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
