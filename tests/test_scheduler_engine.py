"""End to end with the engine: the reminder's button opens the report flow of the pending measure."""

from __future__ import annotations

from datetime import datetime

from bench.line_cost import build_office
from domain.events import Incoming, Reply
from handlers.engine import Engine
from scheduler.reminders import run_due
from storage.clock import BANGKOK, FixedClock
from storage.evidence import EvidenceStore
from storage.models import Officer
from tests.factory import open_store


async def test_reminder_button_starts_the_report_flow() -> None:
    repo = open_store(None)
    office = build_office(repo, "bench", n_officers=5, n_measures=6)
    for person in office.officers + office.heads:
        for ident in person.identities:
            repo.link_identity(ident.platform, ident.user_id, "bench", person.id)
    clock = FixedClock(datetime(2025, 12, 24, 9, 0, tzinfo=BANGKOK))
    pushed: list[tuple[Officer, Reply]] = []

    class Rec:
        async def send(self, officer: Officer, reply: Reply) -> bool:
            pushed.append((officer, reply))
            return True

    await run_due(repo, clock, Rec(), retry_delays=())
    officer, reminder = next((o, r) for o, r in pushed if o.id == "o1")
    button = reminder.flat_buttons()[0]
    user = officer.identities[0].user_id
    replies = Engine(repo, EvidenceStore(None), clock).handle(Incoming("line", user, "button", data=button.data))
    shown = "\n".join(r.text + " " + " ".join(b.label for b in r.flat_buttons()) for r in replies)
    assert "รอบ 3 เดือน" in shown
    assert "มาตรการที่ 5" in shown  # the measure the reminder listed
