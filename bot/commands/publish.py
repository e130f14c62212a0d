"""`itabot publish` / `itabot unpublish`: the approved rounds as a static public site, its zip, and taking it down."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from bot.config import load_settings, make_clock, resolve_data_dir
from domain.fiscal import fiscal_year_of
from report.site import PublishResult, org_site, publish, published_rounds, site_zip, unpublish
from report.site_publish import NO_PLAN, OUTDATED, Refusal, approved_rounds, prepare
from storage.evidence import EvidenceStore
from storage.factory import Store
from storage.models import Organization

from . import Command
from .org import open_for_round

__all__ = ["COMMANDS", "refusal_text"]


def refusal_text(refusal: Refusal) -> str:
    """The Thai reason a round is not published (nothing was written)."""
    rnd = f"รอบ {refusal.round_no} เดือน ปีงบประมาณ {refusal.fiscal_year}"
    if refusal.reason == NO_PLAN:
        return f"ยังไม่มีแผนมาตรการของปีงบประมาณ {refusal.fiscal_year} จึงเผยแพร่ไม่ได้"
    if refusal.reason == OUTDATED:
        return f"เผยแพร่ไม่ได้: คำตอบ{rnd}เปลี่ยนหลังอนุมัติ ต้องให้ผู้อนุมัติอนุมัติรายงานฉบับใหม่ก่อน"
    return f"เผยแพร่ไม่ได้: {rnd} ยังไม่ได้รับอนุมัติ (เผยแพร่ได้เฉพาะรายงานที่อนุมัติแล้ว)"


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--fiscal-year", type=int, help="ปีงบประมาณ พ.ศ. (ค่าเริ่มต้น: ปีของวันนี้)")
    p.add_argument("--round", help="รอบ เช่น 6, ๖, \"รอบ 6\" (ค่าเริ่มต้น: ทุกรอบที่อนุมัติแล้ว)")
    p.add_argument("--out", help="โฟลเดอร์เว็บไซต์ (ค่าเริ่มต้น: <data>/site/<หน่วยงาน>) / site folder")
    p.add_argument("--org", help="หน่วยงาน (เมื่อมีหลายหน่วยงาน) / organization")


def _publish_arguments(p: argparse.ArgumentParser) -> None:
    _common(p)
    p.add_argument("--zip", help="เขียนเว็บไซต์เป็นไฟล์ zip สำหรับอัปโหลดขึ้นเว็บไซต์หน่วยงาน / also write a zip")


def _unpublish_arguments(p: argparse.ArgumentParser) -> None:
    _common(p)
    p.add_argument("--all", action="store_true", help="ลบทุกรอบทุกปีออกจากเว็บไซต์ / remove everything")


@dataclass(frozen=True)
class _Target:
    """What a publish or unpublish works on."""

    repo: Store
    org: Organization
    fiscal_year: int
    round_no: int | None  # None: every approved round (publish) / the whole year (unpublish)
    root: Path


def _where(args: argparse.Namespace) -> _Target | int:
    """Repository, organization, fiscal year, round and the site folder; or an exit code after a Thai message."""
    opened = open_for_round(args)
    if isinstance(opened, int):
        return opened
    repo, org, typed_round = opened
    fiscal_year = args.fiscal_year or fiscal_year_of(make_clock(args.today).today())
    if fiscal_year < 2400:
        print(f"ปีงบประมาณต้องเป็น พ.ศ. เช่น {fiscal_year_of(make_clock(args.today).today())}", file=sys.stderr)
        return 2
    root = Path(args.out) if args.out else org_site(resolve_data_dir(args.data_dir), org.id)
    return _Target(repo, org, fiscal_year, typed_round, root)


def _report(root: Path, result: PublishResult, label: str, public: str) -> None:
    """Where the round went; the addresses to paste into ITAS when the bot serves the site (PUBLIC_BASE_URL)."""
    print(f"เผยแพร่{label}แล้ว: {root / result.round_page}")
    for rel in [result.round_page, *result.oit_pages]:
        print(f"  {public}/{rel}" if public else f"  {root / rel}")


def _run_publish(args: argparse.Namespace) -> int:
    where = _where(args)
    if isinstance(where, int):
        return where
    repo, org, fiscal_year, root = where.repo, where.org, where.fiscal_year, where.root
    data_dir = resolve_data_dir(args.data_dir)
    clock = make_clock(args.today)
    rounds = [where.round_no] if where.round_no else approved_rounds(repo, org.id, fiscal_year)
    if not rounds:
        print(f"เผยแพร่ไม่ได้: ปีงบประมาณ {fiscal_year} ยังไม่มีรอบที่อนุมัติแล้ว", file=sys.stderr)
        return 2
    jobs = []
    for rnd in rounds:
        job = prepare(repo, org.id, fiscal_year, rnd, clock.now(), root, data_dir / "evidence",
                      data_dir / "exports")
        if isinstance(job, Refusal):
            print(refusal_text(job), file=sys.stderr)
            return 2
        jobs.append(job)
    store = EvidenceStore(data_dir / "evidence")
    base = "" if args.out else load_settings().public_base_url.rstrip("/")  # as `itabot run` reads it (.env too)
    public = f"{base}/site/{org.id}" if base else ""
    try:
        for job in jobs:
            result = publish(job, store)
            _report(root, result, f" รอบ {job.report.round.months} เดือน", public)
        if args.zip:
            print(f"ไฟล์ zip: {site_zip(root, Path(args.zip))}")
    except OSError as exc:
        print(f"เขียนเว็บไซต์ที่ {root} ไม่ได้: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return 0


def _run_unpublish(args: argparse.Namespace) -> int:
    where = _where(args)
    if isinstance(where, int):
        return where
    fiscal_year, round_no, root = where.fiscal_year, where.round_no, where.root
    if not (args.all or round_no or args.fiscal_year):
        have = [f"{fy} รอบ {p.round_no}" for fy, ps in published_rounds(root).items() for p in ps]
        print("ระบุสิ่งที่จะนำออก: --round N (กับ --fiscal-year), --fiscal-year ปี หรือ --all"
              f" (ที่เผยแพร่อยู่: {', '.join(have) or '-'})", file=sys.stderr)
        return 2
    removed = unpublish(root, None if args.all else fiscal_year, None if args.all else round_no)
    if not removed:
        print("ไม่มีรอบที่ตรงกันบนเว็บไซต์ ไม่มีอะไรเปลี่ยน", file=sys.stderr)
        return 1
    print("นำออกจากเว็บไซต์แล้ว: " + ", ".join(f"ปีงบประมาณ {fy} รอบ {r} เดือน" for fy, r in removed))
    return 0


COMMANDS = [
    Command(
        name="publish",
        help="เผยแพร่รายงานที่อนุมัติแล้วเป็นเว็บไซต์ (หน้ารายรอบ, หน้า OIT, zip) / publish approved rounds",
        add_arguments=_publish_arguments,
        run=_run_publish,
        order=45,
    ),
    Command(
        name="unpublish",
        help="นำรายงานออกจากเว็บไซต์ที่เผยแพร่ / take published rounds down",
        add_arguments=_unpublish_arguments,
        run=_run_unpublish,
        order=46,
    ),
]
