"""`itabot org`: show or set the organization's details that the report's title and signature print."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.config import make_clock, resolve_data_dir
from bot.store import open_store
from handlers.services import find_org
from storage.factory import Store
from storage.models import Organization, new_id
from storage.repository import Repository

from . import Command

__all__ = ["COMMAND", "FIELDS", "open_repo", "pick_org"]

FIELDS: tuple[tuple[str, str, str], ...] = (  # attribute, option, Thai label
    ("name", "--name", "ชื่อหน่วยงาน"),
    ("type", "--type", "ประเภท"),
    ("district", "--district", "อำเภอ"),
    ("province", "--province", "จังหวัด"),
    ("signer_name", "--signer-name", "ผู้ลงนามรายงาน"),
    ("signer_position", "--signer-position", "ตำแหน่งผู้ลงนาม"),
)


def open_repo(data_dir_arg: str | None) -> Store | None:
    """The data directory's repository, or None (with a Thai message) when the folder does not exist."""
    data_dir: Path = resolve_data_dir(data_dir_arg)
    if not data_dir.is_dir():
        print(f"ไม่พบโฟลเดอร์ข้อมูล {data_dir} (ระบุด้วย --data-dir)", file=sys.stderr)
        return None
    return open_store(data_dir)


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


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--org", help="หน่วยงาน (ชื่อหรือรหัส เมื่อมีหลายหน่วยงาน) / organization")
    for _, option, label in FIELDS:
        p.add_argument(option, help=f"ตั้ง{label}")


def _show(org: Organization) -> str:
    lines = [f"รหัส: {org.id}"]
    lines += [f"{label}: {getattr(org, attr) or '-'}" for attr, _, label in FIELDS]
    return "\n".join(lines)


def _run(args: argparse.Namespace) -> int:
    changes = {attr: getattr(args, attr).strip() for attr, _, _ in FIELDS if getattr(args, attr) is not None}
    if "name" in changes and not changes["name"]:
        print("ชื่อหน่วยงานต้องไม่ว่าง", file=sys.stderr)
        return 2
    data_dir = resolve_data_dir(args.data_dir)
    if not data_dir.is_dir() and changes.get("name"):
        data_dir.mkdir(parents=True)
    repo = open_repo(args.data_dir)
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
    if changes:
        for attr, value in changes.items():
            setattr(org, attr, value)
        repo.save_org(org)
        print("บันทึกแล้ว")
    print(_show(org))
    return 0


COMMAND = Command(
    name="org",
    help="ดูหรือแก้ข้อมูลหน่วยงานและผู้ลงนามรายงาน / show or set the organization's details",
    add_arguments=_add_arguments,
    run=_run,
    order=30,
)
