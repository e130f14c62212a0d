"""The composition root: builds the repository, evidence store, clock and engine in one place."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from handlers.engine import Engine
from storage.atomic import check_writable
from storage.clock import Clock
from storage.evidence import DEFAULT_MAX_BYTES, EvidenceStore
from storage.factory import Store, open_repository
from storage.inbox import FileInbox

from .bounded import BoundedProcessRunner, Limits
from .dispatch import Dispatcher

__all__ = ["Services", "build_services"]


@dataclass
class Services:
    """Everything an entry point needs, built once and passed down."""

    repo: Store
    evidence: EvidenceStore
    clock: Clock
    engine: Engine
    data_dir: Path | None
    database_url: str = ""  # set: several workers share this PostgreSQL database (bot/dispatch_shared.py)
    _dispatcher: Dispatcher | None = field(default=None, repr=False)

    def dispatcher(self) -> Dispatcher:
        """The durable inbox and its worker, opened on first use: only `itabot run` takes the inbox."""
        if self._dispatcher is None and self.database_url:
            from .dispatch_shared import SharedDispatcher

            self._dispatcher = SharedDispatcher(self.repo, self.database_url)  # type: ignore[arg-type]
        if self._dispatcher is None:
            inbox_dir = self.data_dir / "inbox" if self.data_dir is not None else None
            self._dispatcher = Dispatcher(lambda: FileInbox(inbox_dir))
        return self._dispatcher

    def close(self) -> None:
        """Release the inbox and the repository's handles."""
        if self._dispatcher is not None:
            self._dispatcher.close()
            self._dispatcher = None
        self.repo.close()


# LibreOffice runs inside the rendering child and needs room; a plan file never legitimately needs more
WORK_LIMITS = Limits(cpu_seconds=120, memory_mb=3072, wall_seconds=180)


def build_services(data_dir: Path | None, clock: Clock, max_file_bytes: int = DEFAULT_MAX_BYTES) -> Services:
    """Open the data directory (None: in memory) and wire the engine to it."""
    database_url = os.environ.get("ITABOT_DATABASE_URL", "")
    if database_url and data_dir is not None:  # evidence, exports, link_secret live there (TinyDB checks it itself)
        check_writable(data_dir)
    repo = open_repository(data_dir, database_url)  # PostgreSQL when set
    shared_evidence = os.environ.get("ITABOT_EVIDENCE_DIR")  # several workers: one directory they all mount
    evidence_dir = Path(shared_evidence) if shared_evidence else data_dir / "evidence" if data_dir else None
    evidence = EvidenceStore(evidence_dir, max_bytes=max_file_bytes)
    exports = data_dir / "exports" if data_dir else None
    engine = Engine(repo, evidence, clock, exports_dir=exports)
    if data_dir is not None:  # heavy or untrusted work (imports, rendering) in a bounded child process
        engine.bounded = BoundedProcessRunner(WORK_LIMITS)
    return Services(repo=repo, evidence=evidence, clock=clock, engine=engine, data_dir=data_dir,
                    database_url=database_url)
