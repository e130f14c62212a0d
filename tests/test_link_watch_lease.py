"""Several workers on one PostgreSQL database: every office's backlog of unchecked evidence links is listed by the
holder of the `link-check` lease only, and another worker takes it over when that one stops."""

from __future__ import annotations

import asyncio

import pytest

from bot import link_watch
from bot.link_watch import LinkWatch
from bot.linkcheck import LinkChecker
from bot.wiring import Services
from storage.models import STATUS_DONE, Evidence, ReportEntry
from storage.pg_lease import PgLease
from tests.factory import Office, make_office
from tests.test_link_checks import Hits, only_this_server, with_server


def _watch(office: Office, url: str) -> LinkWatch:
    services = Services(repo=office.repo, evidence=office.evidence, clock=office.clock, engine=office.engine,
                        data_dir=None)
    return LinkWatch(services, LinkChecker(timeout=3, allowed=only_this_server), lease=PgLease(url, "link-check"))


def _old_link(office: Office, report_id: str, evidence_id: str, url: str) -> None:
    """An answer saved with a link while no worker was watching (only a backlog listing finds it)."""
    link = Evidence(id=evidence_id, kind="url", url=url)
    office.repo.add_report(ReportEntry(report_id, office.org.id, 2569, "m2", 6, "u1", STATUS_DONE, evidence=[link]))


def test_one_worker_lists_the_backlog_and_another_takes_over_when_it_stops(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(link_watch, "LEASE_RETRY_S", 0.05)
    office = make_office()

    async def scenario(hits: Hits, port: int) -> None:
        _old_link(office, "r1", "e-old", f"http://127.0.0.1:{port}/notice")
        watches = [_watch(office, pg_url), _watch(office, pg_url)]
        await asyncio.gather(*(w.start() for w in watches))  # two workers start together
        for _ in range(100):
            if hits:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)  # many lease retries meanwhile
        assert hits == ["/notice"]  # fetched once, by the lease's holder only
        held = [await asyncio.to_thread(w.lease.held) for w in watches]  # type: ignore[union-attr]
        assert sorted(held) == [False, True]
        holder, other = (watches[0], watches[1]) if held[0] else (watches[1], watches[0])

        _old_link(office, "r2", "e-new", f"http://127.0.0.1:{port}/second")
        await holder.stop()  # its lease is free: the other lists what is still unchecked
        await asyncio.wait_for(other.idle(), 10)
        await other.stop()
        assert hits == ["/notice", "/second"]

    with_server(scenario)
