"""`itabot invite` and `itabot officers`: the admin's people management from the shell."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime

from bot.config import load_settings, make_clock, resolve_data_dir
from bot.store import open_store
from domain.fiscal import thai_date
from domain.people import grant
from domain.words import WordError, parse_role, parse_unit
from handlers.services import create_invite, find_org, set_officer_active
from handlers.texts import t
from storage.factory import Store
from storage.models import Unit

from . import Command
from .wording import word_problem

__all__ = ["COMMANDS"]


def _org_or_fail(repo: Store, name: str | None) -> str | None:
    org = find_org(repo, name)
    if org is None:
        orgs = repo.list_orgs()
        if not orgs:
            print("ยังไม่มีหน่วยงานในโฟลเดอร์ข้อมูลนี้ นำเข้าแผนก่อน: itabot import FILE --org ชื่อหน่วยงาน", file=sys.stderr)
        else:
            names = ", ".join(o.name for o in orgs)
            print(f"ระบุหน่วยงานด้วย --org (มี: {names})", file=sys.stderr)
        return None
    return org.id


def _invite_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--unit", action="append", default=[], help="ชื่อหรือลำดับของส่วนราชการ (ใส่ได้หลายครั้ง) / unit name or number")
    p.add_argument("--role", default="officer", help="บทบาท: เจ้าหน้าที่ หัวหน้า หรือผู้ดูแล / role: officer, head or admin")
    p.add_argument("--name", default="", help="ชื่อผู้รับเชิญ / invitee's name")
    p.add_argument("--position", default="", help="ตำแหน่ง / position")
    p.add_argument("--org", help="หน่วยงาน (เมื่อมีหลายหน่วยงาน) / organization")
    p.add_argument("--days", type=int, default=7, help="อายุรหัส (วัน) / days valid")


def _unit_ids(units: list[Unit], names: list[str]) -> list[str] | None:
    """Unit ids from typed numbers, names or aliases; None (after saying which) when one is unknown or ambiguous."""
    unit_ids = []
    for name in names:
        try:
            unit_ids.append(parse_unit(name, units).id)
        except WordError as exc:
            print(word_problem("ส่วนราชการ", exc), file=sys.stderr)
            return None
    return unit_ids


def _role(text: str) -> str | None:
    """The role a typed word names (Thai or English); None after listing the valid ones."""
    try:
        return parse_role(text)
    except WordError as exc:
        print(word_problem("บทบาท", exc), file=sys.stderr)
        return None


def _role_and_units(repo: Store, org_id: str, args: argparse.Namespace) -> tuple[str, list[str]] | None:
    """--role and --unit as people type them; an officer needs a unit (None: the reason was printed)."""
    role = _role(args.role)
    unit_ids = _unit_ids(repo.list_units(org_id), args.unit)
    if role is None or unit_ids is None:
        return None
    if role == "officer" and not unit_ids:
        print("เจ้าหน้าที่ต้องมีส่วนราชการ: ใส่ --unit", file=sys.stderr)
        return None
    return role, unit_ids


def _invite(args: argparse.Namespace) -> int:
    repo = open_store(resolve_data_dir(args.data_dir), args)
    org_id = _org_or_fail(repo, args.org)
    if org_id is None:
        return 2
    checked = _role_and_units(repo, org_id, args)
    if checked is None:
        return 2
    args.role, unit_ids = checked
    invite = create_invite(
        repo, make_clock(args.today), org_id, args.role, unit_ids, args.name, args.position, "cli", args.days
    )
    expires = thai_date(datetime.fromisoformat(invite.expires_at).date(), "arabic")
    names = {u.id: u.name for u in repo.list_units(org_id)}
    where = ", ".join(names.get(u, u) for u in unit_ids) or "ทั้งหน่วยงาน"
    print(f"รหัสเชิญ ({t('th', 'role_' + args.role)}, {where}) ใช้ได้ครั้งเดียว หมดอายุ {expires}")
    print(f"ให้ผู้รับพิมพ์ในแชต: /start {invite.code}")
    bot_name = _bot_username()
    if bot_name:
        # imported here: python-telegram-bot would cost every other subcommand's start-up
        from bot.telegram import deep_link

        print(f"Telegram: {deep_link(bot_name, invite.code)}")
    print(invite.code)
    return 0


def _bot_username() -> str:
    """TELEGRAM_BOT_USERNAME, else ask the Bot API (getMe) when a token is set; "" when neither works."""
    settings = load_settings()
    if settings.telegram_bot_username or not settings.telegram_token:
        return settings.telegram_bot_username
    from telegram import Bot

    async def ask() -> str:
        root = settings.telegram_api_base_url.rstrip("/")
        base_url = f"{root}/bot" if root else "https://api.telegram.org/bot"
        async with Bot(settings.telegram_token, base_url=base_url) as bot:
            return bot.username or ""

    try:
        return asyncio.run(asyncio.wait_for(ask(), timeout=10))
    except Exception:  # offline or a bad token: the code alone still works
        print("(ไม่สามารถถามชื่อบอตจาก Telegram ได้ จึงไม่แสดงลิงก์ t.me)", file=sys.stderr)
        return ""


def _officers_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--org", help="หน่วยงาน / organization")
    p.add_argument("--deactivate", metavar="ID", help="ปิดใช้งานบุคคลนี้ (ถามยืนยันก่อน) / switch this person off")
    p.add_argument("--activate", metavar="ID", help="เปิดใช้งานอีกครั้ง / switch this person back on")
    p.add_argument("--grant", metavar="ID", help="เพิ่มบทบาท (--role, --unit) / add a role to this person")
    p.add_argument("--role", default="officer", help="บทบาทที่เพิ่ม (เจ้าหน้าที่ หัวหน้า ผู้ดูแล) / role to add (with --grant)")
    p.add_argument("--unit", action="append", default=[], help="ส่วนราชการของบทบาทที่เพิ่ม / unit (with --grant)")
    p.add_argument("--yes", action="store_true", help="ไม่ต้องถามยืนยัน / do not ask for confirmation")


def _confirmed(question: str) -> bool:
    """Ask on the terminal; anything but y/yes/ใช่ (or no input at all) is a no."""
    print(question, end=" ", flush=True)
    answer = sys.stdin.readline().strip().lower()
    return answer in ("y", "yes", "ใช่")


def _switch(repo: Store, org_id: str, person_id: str, active: bool, yes: bool) -> int:
    person = repo.get_officer(org_id, person_id)
    if person is None:
        print(f"ไม่พบบุคคล {person_id}", file=sys.stderr)
        return 2
    if not active and not yes:
        question = f"ปิดใช้งาน {person.display_name} ({person.id})? จะไม่ได้รับการแจ้งเตือนและใช้งานไม่ได้ [y/N]"
        if not _confirmed(question):
            print("ยกเลิก ไม่มีการเปลี่ยนแปลง")
            return 1
    set_officer_active(repo, org_id, person.id, active)
    print(f"{'เปิด' if active else 'ปิด'}ใช้งาน {person.display_name} แล้ว")
    return 0


def _grant(repo: Store, org_id: str, args: argparse.Namespace) -> int:
    person = repo.get_officer(org_id, args.grant)
    if person is None:
        print(f"ไม่พบบุคคล {args.grant}", file=sys.stderr)
        return 2
    checked = _role_and_units(repo, org_id, args)
    if checked is None:
        return 2
    args.role, unit_ids = checked
    repo.save_officer(grant(person, args.role, unit_ids))
    print(f"{person.display_name}: {', '.join(person.roles)}")
    return 0


def _officers(args: argparse.Namespace) -> int:
    repo = open_store(resolve_data_dir(args.data_dir), args)
    org_id = _org_or_fail(repo, args.org)
    if org_id is None:
        return 2
    if args.deactivate or args.activate:
        return _switch(repo, org_id, args.deactivate or args.activate, not args.deactivate, args.yes)
    if args.grant:
        return _grant(repo, org_id, args)
    units = {u.id: u.name for u in repo.list_units(org_id)}
    for p in repo.list_officers(org_id):
        state = "" if p.active else " [ปิดใช้งาน]"
        chats = ", ".join(f"{i.platform}" + ("" if i.active else "(off)") for i in p.identities)
        unit_names = ", ".join(units.get(u, u) for u in p.unit_ids) or "-"
        headed = ", ".join(units.get(u, u) for u in p.head_unit_ids)
        heads = f" (หัวหน้า: {headed})" if headed else ""
        print(f"{p.id}\t{p.display_name}\t{','.join(p.roles)}\t{unit_names}{heads}\t{chats}{state}")
    return 0


COMMANDS = [
    Command("invite", "สร้างรหัสเชิญ / create a one-time invite code", _invite_args, _invite, order=30),
    Command("officers", "รายชื่อ ปิด/เปิดใช้งาน เพิ่มบทบาท / list people, switch off/on, add a role", _officers_args, _officers, order=31),
]
