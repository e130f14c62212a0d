"""The link check's backlog of a whole store is listed office by office as the queue empties, never all at
once: a province's offices hold ~100,000 evidence links, and holding them all took tens of MiB."""

from __future__ import annotations

import asyncio

from bot.link_watch import LinkWatch, unchecked_links
from bot.linkcheck import LinkCheck
from bot.wiring import Services
from storage.link_checks import link_check
from storage.models import STATUS_DONE, Evidence, Measure, Organization, ReportEntry
from tests.factory import make_office

OFFICES, LINKS = 6, 5


class QueueWatchingChecker:
    """Answers every link at once as found (200), noting how many links were waiting at each check."""

    def __init__(self) -> None:
        self.waiting: list[int] = []
        self.watch: LinkWatch | None = None

    async def check(self, url: str, checked_at: str = "") -> LinkCheck:
        assert self.watch is not None
        self.waiting.append(self.watch.queue.qsize())
        await asyncio.sleep(0)
        return LinkCheck(url=url, ok=True, status=200, final_url=url, checked_at=checked_at)


def test_every_offices_links_are_checked_once_while_only_a_few_offices_links_wait_at_a_time() -> None:
    office = make_office()
    repo = office.repo
    for n in range(OFFICES):
        org_id = f"o-links{n}"
        repo.save_org(Organization(id=org_id, name=f"อบต. ทดสอบ {n}"))
        repo.save_measures(org_id, 2569, [Measure("m1", 1, "1", "เผยแพร่ข้อมูลข่าวสาร")])
        links = [Evidence(id=f"e{n}-{k}", kind="url", url=f"https://www.example.go.th/{n}/{k}") for k in range(LINKS)]
        repo.add_report(ReportEntry(f"r{n}", org_id, 2569, "m1", 6, "u1", STATUS_DONE, evidence=links))
    expected = {job[1] for job in unchecked_links(repo)}
    assert len(expected) == OFFICES * LINKS
    checker = QueueWatchingChecker()
    services = Services(repo=repo, evidence=office.evidence, clock=office.clock, engine=office.engine, data_dir=None)

    async def scenario() -> None:
        watch = LinkWatch(services, checker, backlog_low=LINKS)  # type: ignore[arg-type]
        checker.watch = watch
        await watch.start()
        await asyncio.wait_for(watch.idle(), 20)
        await watch.stop()

    asyncio.run(scenario())
    assert len(checker.waiting) == len(expected) and unchecked_links(repo) == []
    assert max(checker.waiting) < 2 * LINKS  # the mark plus one office's links at most (24 when listed at once)
    assert all(link_check(repo, f"o-links{n}", f"e{n}-{k}") for n in range(OFFICES) for k in range(LINKS))


