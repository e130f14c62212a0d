"""Prometheus metrics of one `itabot run` process, served at GET /metrics on its web server.

Each process keeps its own registry (no global one): with several workers behind a proxy, Prometheus
scrapes every worker's own address and sums them (`sum by (platform) (rate(itabot_updates_received_total[5m]))`).
The inbox and outbox depths are read at scrape time, so on PostgreSQL every worker reports the same
shared backlog: take `max`, not `sum`, of those two gauges.

Nothing observed knows about metrics: `observe_services` wraps, on the instances of this process only, the
dispatcher's `accept`/`register` (updates in and handled), the engine's `handle` (replies and engine
time) and the repository's `log_send` (reminder outcomes).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

from domain.fiscal import fiscal_year_of
from domain.sends import RESULT_SENDING, RESULT_WAITING
from storage.clock import BANGKOK

__all__ = ["Metrics", "observe_services"]

log = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
OUTBOX_CACHE_S = 60.0  # counting waiting reminders reads every office's send log: at most once a minute
MAX_TRACKED = 10_000  # receipt times kept for events another worker may end up handling


class _Depths(Collector):
    """Gauges computed when scraped: the inbox's unfinished events and the reminders still to go out."""

    def __init__(self, inbox: Callable[[], int], outbox: Callable[[], int]) -> None:
        self.inbox, self.outbox = inbox, outbox

    def collect(self) -> Iterator[GaugeMetricFamily]:
        for name, doc, read in (
            ("itabot_inbox_depth", "Platform events stored but not yet handled (shared on PostgreSQL).", self.inbox),
            ("itabot_outbox_depth", "Reminders logged as waiting (LINE quota) or being sent: pushes still to go out.",
             self.outbox),
        ):
            try:
                value = float(read())
            except Exception:  # a scrape must answer even when the store is briefly unreachable
                log.exception("reading %s failed", name)
                value = float("nan")
            yield GaugeMetricFamily(name, doc, value=value)


class Metrics:
    """This process's counters and histograms in its own registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.received = Counter("itabot_updates_received", "Platform events stored (duplicates not counted).",
                                ["platform"], registry=r)
        self.handled = Counter("itabot_updates_handled", "Platform events handled by this worker.", ["platform"],
                               registry=r)
        self.latency = Histogram("itabot_update_seconds", "From an event's receipt to its replies sent.",
                                 ["platform"], buckets=LATENCY_BUCKETS, registry=r)
        self.engine_time = Histogram("itabot_engine_seconds", "Time the conversation engine took per event.",
                                     ["platform"], buckets=LATENCY_BUCKETS, registry=r)
        self.replies = Counter("itabot_replies_sent", "Replies and pushes the engine answered events with.",
                               ["platform"], registry=r)
        self.reminders = Counter("itabot_reminders", "Reminder outcomes logged (sent, failed, waiting …).",
                                 ["result"], registry=r)
        ProcessCollector(registry=r)
        self._since: OrderedDict[str, float] = OrderedDict()

    def register_routes(self, web_server: Any) -> None:
        """GET /metrics on the process's web server (keep it closed at the public proxy)."""
        web_server.add_route("GET", "/metrics", self.handler)

    def scrape(self) -> bytes:
        """The text exposition format of everything registered."""
        return bytes(generate_latest(self.registry))

    async def handler(self, request: web.Request) -> web.Response:
        """GET /metrics (the depth gauges may read the store: off the event loop)."""
        body = await asyncio.to_thread(self.scrape)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    # ----- observing -------------------------------------------------------------------------
    def observe_dispatcher(self, dispatcher: Any) -> None:
        """Count events stored by `accept` and time each one through the processors it `register`s."""
        accept, register = dispatcher.accept, dispatcher.register

        async def counted_accept(records: list[Any]) -> list[bool]:
            fresh: list[bool] = await accept(records)
            now = time.monotonic()
            for record, new in zip(records, fresh, strict=False):
                if new:
                    self.received.labels(record.platform).inc()
                    self._since[record.key] = now
            while len(self._since) > MAX_TRACKED:
                self._since.popitem(last=False)
            return fresh

        def timed_register(platform: str, process: Callable[[Any], Awaitable[None]]) -> None:
            async def timed(record: Any) -> None:
                began = self._since.pop(record.key, time.monotonic())
                try:
                    await process(record)
                finally:
                    self.handled.labels(platform).inc()
                    self.latency.labels(platform).observe(time.monotonic() - began)

            register(platform, timed)

        dispatcher.accept, dispatcher.register = counted_accept, timed_register

    def observe_engine(self, engine: Any) -> None:
        """Time the engine and count the replies it gives (called on worker threads: the client is thread-safe)."""
        handle = engine.handle

        def timed_handle(event: Any) -> Any:
            began = time.monotonic()
            replies = handle(event)
            platform = getattr(event, "platform", "") or "unknown"
            self.engine_time.labels(platform).observe(time.monotonic() - began)
            self.replies.labels(platform).inc(len(replies or ()))
            return replies

        engine.handle = timed_handle

    def observe_sends(self, repo: Any) -> None:
        """Count every reminder outcome the send log records ("sending" is a claim, not an outcome)."""
        log_send = repo.log_send

        def counted(record: Any) -> None:
            log_send(record)
            if record.result != RESULT_SENDING:
                self.reminders.labels(record.result).inc()

        repo.log_send = counted


def _outbox_counter(repo: Any, clock: Any) -> Callable[[], int]:
    """Waiting or in-flight reminders: one query on PostgreSQL; on TinyDB this and last fiscal year's logs,
    recounted at most once a minute."""
    cache: dict[str, float] = {"at": -OUTBOX_CACHE_S, "value": 0.0}

    counted = getattr(repo, "count_sends", None)  # PostgreSQL: one query over the shared send log

    def count() -> int:
        now = time.monotonic()
        if callable(counted):
            return int(counted((RESULT_WAITING, RESULT_SENDING)))
        if now - cache["at"] >= OUTBOX_CACHE_S:
            fy = fiscal_year_of(clock.now().astimezone(BANGKOK).date())
            cache["value"] = sum(
                1 for org in repo.list_orgs() for year in (fy - 1, fy) for s in repo.list_sends(org.id, year)
                if s.result in (RESULT_WAITING, RESULT_SENDING)
            )
            cache["at"] = now
        return int(cache["value"])

    return count


def observe_services(services: Any) -> Metrics:
    """Observe this process's dispatcher, engine and send log (before adapters capture `engine.handle`)."""
    metrics = Metrics()
    dispatcher = services.dispatcher()
    metrics.observe_dispatcher(dispatcher)
    metrics.observe_engine(services.engine)
    metrics.observe_sends(services.repo)
    metrics.registry.register(_Depths(lambda: len(dispatcher.inbox.pending()),
                                      _outbox_counter(services.repo, services.clock)))
    return metrics
