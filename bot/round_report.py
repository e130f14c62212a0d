"""The completed-round report port the scheduler sends to heads: report/ plugged in here, not imported there."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Executor
from datetime import datetime
from pathlib import Path

from domain.events import OutFile
from report.compile import RoundReport, compile_round
from report.render import RenderedFile, render_documents, render_in_worker
from report.text import summary_text
from storage.evidence import EvidenceStore
from storage.repository import Repository

__all__ = ["ReportDocuments"]

log = logging.getLogger(__name__)


def _outfile(f: RenderedFile) -> OutFile:
    return OutFile(Path(f.path), f.name, f.mime, f.kind)


class ReportDocuments:
    """scheduler.messages.RoundReports: compile on the caller's thread, render in a worker (process or thread)."""

    def __init__(self, repo: Repository, data_dir: Path | None, executor: Executor | None = None,
                 evidence_dir: Path | None = None) -> None:
        self._repo = repo
        self._data_dir = data_dir
        self._evidence_dir = evidence_dir  # ITABOT_EVIDENCE_DIR: the directory several workers share
        self._executor = executor  # a spawned process keeps ~1 s of rendering per office off the chats' GIL

    def summary(self, org_id: str, fiscal_year: int, round_no: int, now: datetime) -> tuple[object, str]:
        """The compiled round and its text."""
        report = compile_round(self._repo, org_id, fiscal_year, round_no, now)
        return report, summary_text(report)

    async def documents(self, report: object) -> list[OutFile]:
        """DOCX, XLSX and PNG in exports/ (none for an in-memory store: nowhere to write them)."""
        if self._data_dir is None or not isinstance(report, RoundReport):
            return []
        exports, evidence = self._data_dir / "exports", self._evidence_dir or self._data_dir / "evidence"
        if self._executor is not None:
            loop = asyncio.get_running_loop()
            rendered = await loop.run_in_executor(self._executor, render_in_worker, report, exports, evidence)
        else:
            rendered = await asyncio.to_thread(render_documents, report, exports, EvidenceStore(evidence))
        return [_outfile(f) for f in rendered]
