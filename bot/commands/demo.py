"""`itabot demo`: the console chat on the embedded store, with a sample office on first run."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path

from bot.config import make_clock, resolve_data_dir
from bot.console import ConsoleAdapter
from bot.reminders import console_remind_port
from bot.wiring import Services, build_services
from domain.fiscal import fiscal_year_of, thai_date
from storage.models import Identity, Officer, Organization, new_id

from . import Command

__all__ = ["COMMAND", "ensure_demo"]

DEMO_USER = "demo"
SAMPLE_ORG = Organization(
    id="",
    name="องค์การบริหารส่วนตำบลคำเนียม",
    type="องค์การบริหารส่วนตำบล",
    district="กันทรารมย์",
    province="ศรีสะเกษ",
    signer_name="นายทดลอง ใช้ระบบ",
    signer_position="ปลัดองค์การบริหารส่วนตำบลคำเนียม",
)


def ensure_demo(services: Services) -> tuple[Organization, bool]:
    """Create the sample office and plan on an empty data dir; make sure the demo user exists."""
    from handlers.plan_import import apply_plan
    from handlers.samples import sample_plan

    repo, clock = services.repo, services.clock
    created = False
    orgs = repo.list_orgs()
    if orgs:
        org = orgs[0]
    else:
        org = Organization(**{**SAMPLE_ORG.__dict__, "id": new_id("o"), "created_at": clock.now().isoformat()})
        repo.save_org(org)
        apply_plan(repo, org.id, fiscal_year_of(clock.today()), sample_plan(fiscal_year_of(clock.today())))
        created = True
    if repo.find_identity("console", DEMO_USER) is None:
        stamp = clock.now().isoformat(timespec="seconds")
        person = Officer(
            id=new_id("p"),
            org_id=org.id,
            display_name="ผู้ทดลองใช้ (หัวหน้าและเจ้าหน้าที่ทุกส่วนราชการ)",
            role="admin",
            position="ผู้ดูแลระบบ",
            unit_ids=[u.id for u in repo.list_units(org.id)],
            identities=[Identity("console", DEMO_USER, DEMO_USER, True, stamp)],
            created_at=stamp,
        )
        repo.save_officer(person)
        repo.link_identity("console", DEMO_USER, org.id, person.id)
    else:
        found = repo.find_identity("console", DEMO_USER)
        assert found
        person_found = repo.get_officer(*found)
        if person_found is not None:  # units may have been added by a later import
            person_found.unit_ids = [u.id for u in repo.list_units(org.id)]
            repo.save_officer(person_found)
    return org, created


def typed_lines(data_dir: Path | None, prompt: str = "> ") -> Iterator[str]:
    """Lines typed at a terminal with readline editing; the history is kept in the data directory."""
    try:
        import readline
    except ImportError:  # not every platform ships it: plain input() still works
        readline = None  # type: ignore[assignment]
    history = data_dir / ".demo_history" if data_dir else None
    if readline is not None and history is not None:
        with contextlib.suppress(OSError):
            readline.read_history_file(history)
    try:
        while True:
            try:
                yield input(prompt) + "\n"
            except EOFError:
                return
    finally:
        if readline is not None and history is not None:
            with contextlib.suppress(OSError):
                readline.set_history_length(500)
                readline.write_history_file(history)


def _add(p: argparse.ArgumentParser) -> None:
    p.add_argument("--user", default=DEMO_USER, help=argparse.SUPPRESS)


def _run(args: argparse.Namespace) -> int:
    services = build_services(resolve_data_dir(args.data_dir), make_clock(args.today))
    try:
        return _chat(args, services)
    finally:
        services.close()


def _chat(args: argparse.Namespace, services: Services) -> int:
    """The console conversation on the demo office, until /quit or the end of input."""
    org, created = ensure_demo(services)
    out = sys.stdout
    today = services.clock.today()
    out.write(
        f"itabot — แชตทดลองในเทอร์มินัล · {org.name}\n"
        f"วันนี้ {thai_date(today, 'arabic')} · ข้อมูลอยู่ที่ {services.data_dir}"
        + (" (สร้างหน่วยงานและแผนตัวอย่างแล้ว)" if created else "")
        + "\nพิมพ์ /report เพื่อรายงานผล, /help ดูคำสั่ง, ตัวเลขเพื่อกดปุ่ม, ชื่อไฟล์เพื่อแนบหลักฐาน, /quit เพื่อออก\n\n"
    )
    services.engine.remind = console_remind_port(services, out)
    adapter = ConsoleAdapter(services.engine, out, user_id=args.user, max_file_bytes=services.evidence.max_bytes)
    if sys.stdin.isatty():  # a person at a terminal: line editing and history, like any shell program
        adapter.run(typed_lines(services.data_dir), echo=False, prompt="")
    else:
        adapter.run(sys.stdin, echo=True)
    return 0


COMMAND = Command("demo", "แชตทดลองในเทอร์มินัล / console chat demo on the sample plan", _add, _run, order=10)
