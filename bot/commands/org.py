"""`itabot org`: show or set the organization's details and how its report prints (digits, preamble, signers)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.config import make_clock, resolve_data_dir
from bot.store import open_store
from domain.words import WordError, parse_round
from handlers.services import find_org
from report.options import ReportOptions, Signer, load_options, save_options, with_signer
from storage.factory import Store
from storage.models import Organization, new_id
from storage.repository import Repository

from . import Command
from .wording import word_problem

__all__ = ["COMMAND", "FIELDS", "open_for_round", "open_repo", "pick_org"]

FIELDS: tuple[tuple[str, str, str], ...] = (  # attribute, option, Thai label
    ("name", "--name", "ชื่อหน่วยงาน"),
    ("type", "--type", "ประเภท"),
    ("district", "--district", "อำเภอ"),
    ("province", "--province", "จังหวัด"),
    ("signer_name", "--signer-name", "ผู้ลงนามรายงาน"),
    ("signer_position", "--signer-position", "ตำแหน่งผู้ลงนาม"),
)


def open_repo(data_dir_arg: str | None, args: argparse.Namespace | None = None) -> Store | None:
    """The data directory's repository, or None (with a Thai message) when the folder does not exist."""
    data_dir: Path = resolve_data_dir(data_dir_arg)
    if not data_dir.is_dir():
        print(f"ไม่พบโฟลเดอร์ข้อมูล {data_dir} (ระบุด้วย --data-dir)", file=sys.stderr)
        return None
    return open_store(data_dir, args)


def pick_org(repo: Repository, name: str | None) -> Organization | None:
    """The only organization or the one named; otherwise a Thai explanation on stderr."""
    org = find_org(repo, name)
    if org is not None:
        return org
    orgs = repo.list_orgs()
    if not orgs:
        print("ยังไม่มีหน่วยงานในโฟลเดอร์ข้อมูลนี้ (สร้างด้วย itabot org --name ชื่อหน่วยงาน)", file=sys.stderr)
    elif name:
        print(f"ไม่พบหน่วยงาน \"{name}\" (มี: {', '.join(o.name for o in orgs)})", file=sys.stderr)
    else:
        print(f"มีหลายหน่วยงาน ระบุด้วย --org (มี: {', '.join(o.name for o in orgs)})", file=sys.stderr)
    return None


def open_for_round(args: argparse.Namespace) -> tuple[Store, Organization, int | None] | int:
    """--round checked before anything is opened, then the store and the office; else exit code 2 after a line."""
    try:
        typed_round = parse_round(args.round) if args.round else None
    except WordError as exc:
        print(word_problem("รอบ", exc), file=sys.stderr)
        return 2
    repo = open_repo(args.data_dir, args)
    if repo is None:
        return 2
    org = pick_org(repo, args.org)
    if org is None:
        return 2
    return repo, org, typed_round


SIGNER_OPTIONS: tuple[tuple[str, str, str], ...] = (  # role, option prefix, Thai label
    ("checker", "--checker", "ผู้ตรวจสอบ/เห็นชอบ"),
    ("approver", "--approver", "ผู้อนุมัติ"),
)


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--org", help="หน่วยงาน (ชื่อหรือรหัส เมื่อมีหลายหน่วยงาน) / organization")
    for _, option, label in FIELDS:
        p.add_argument(option, help=f"ตั้ง{label}")
    for role, prefix, label in SIGNER_OPTIONS:
        p.add_argument(f"{prefix}-name", dest=f"{role}_name", help=f"ชื่อ{label} (เช่น หัวหน้าสำนักปลัด, ปลัด, นายก)")
        p.add_argument(f"{prefix}-position", dest=f"{role}_position", help=f"ตำแหน่ง{label}")
    p.add_argument("--digits", choices=("thai", "arabic"), help="ตัวเลขในรายงาน: ไทยหรืออารบิก")
    p.add_argument("--preamble", help="ย่อหน้าคำนำใต้ชื่อรายงาน (ข้อความว่าง = ไม่มี)")


def _show(org: Organization, options: ReportOptions) -> str:
    lines = [f"รหัส: {org.id}"]
    lines += [f"{label}: {getattr(org, attr) or '-'}" for attr, _, label in FIELDS]
    for signer in options.signers_for(org)[1:]:
        lines.append(f"{signer.role_label}: {signer.name or '-'} ({signer.position or '-'})")
    lines.append(f"ตัวเลขในรายงาน: {'ไทย' if options.digits == 'thai' else 'อารบิก'}")
    lines.append(f"คำนำ: {options.preamble or '-'}")
    return "\n".join(lines)


def _report_changes(args: argparse.Namespace, org: Organization, options: ReportOptions) -> ReportOptions | None:
    """The report options after this command's --checker/--approver/--digits/--preamble, None when unchanged."""
    new = options
    for role, _, _ in SIGNER_OPTIONS:
        name, position = getattr(args, f"{role}_name"), getattr(args, f"{role}_position")
        if name is None and position is None:
            continue
        old = next((s for s in new.signers_for(org) if s.role == role), Signer(role))
        new = with_signer(new, org, Signer(role, (old.name if name is None else name).strip(),
                                           (old.position if position is None else position).strip()))
    if args.digits:
        new = ReportOptions(args.digits, new.preamble, new.signers)
    if args.preamble is not None:
        new = ReportOptions(new.digits, args.preamble.strip(), new.signers)
    return None if new == options else new


def _run(args: argparse.Namespace) -> int:
    changes = {attr: getattr(args, attr).strip() for attr, _, _ in FIELDS if getattr(args, attr) is not None}
    if "name" in changes and not changes["name"]:
        print("ชื่อหน่วยงานต้องไม่ว่าง", file=sys.stderr)
        return 2
    data_dir = resolve_data_dir(args.data_dir)
    if not data_dir.is_dir() and changes.get("name"):
        data_dir.mkdir(parents=True)
    repo = open_repo(args.data_dir, args)
    if repo is None:
        return 2
    if not repo.list_orgs() and changes.get("name"):
        stamp = make_clock(args.today).now().isoformat(timespec="seconds")
        org = Organization(id=new_id("o"), name=changes["name"], created_at=stamp)
        print("สร้างหน่วยงานใหม่แล้ว")
    else:
        found = pick_org(repo, args.org)
        if found is None:
            return 2
        org = found
    options = load_options(repo, org.id)
    new_options = _report_changes(args, org, options)
    if changes:
        for attr, value in changes.items():
            setattr(org, attr, value)
        repo.save_org(org)
    if new_options is not None:
        save_options(repo, org.id, new_options)
        options = new_options
    if changes or new_options is not None:
        print("บันทึกแล้ว")
    print(_show(org, options))
    return 0


COMMAND = Command(
    name="org",
    help="ดูหรือแก้ข้อมูลหน่วยงานและผู้ลงนามรายงาน / show or set the organization's details",
    add_arguments=_add_arguments,
    run=_run,
    order=30,
)
