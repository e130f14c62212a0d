"""The doctor's vocabulary: a Finding (one ✓/✗/– line), the Probe every check looks at, and HTTP asks."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import aiohttp

from storage.clock import Clock

from .config import Settings

__all__ = ["FAIL", "OK", "SKIP", "Finding", "Probe", "Unreachable", "get_json", "line_headers", "line_on"]

OK, FAIL, SKIP = "✓", "✗", "–"
TELEGRAM_API = "https://api.telegram.org"
LINE_API = "https://api.line.me"


@dataclass(frozen=True)
class Finding:
    """One line of the doctor's answer."""

    mark: str
    what: str
    detail: str
    fix: str = ""

    def line(self) -> str:
        """"✗ what: detail → fix"."""
        tail = f" → {self.fix}" if self.fix and self.mark == FAIL else ""
        return f"{self.mark} {self.what}: {self.detail}{tail}"


@dataclass
class Probe:
    """What the checks look at (built once by the command, or by a test)."""

    settings: Settings
    data_dir: Path
    clock: Clock
    database_url: str = ""
    evidence_dir: Path | None = None
    backup_dir: Path | None = None
    min_free_mb: int = 1024
    max_backup_hours: float = 26.0
    timeout: float = 5.0
    session: aiohttp.ClientSession | None = None
    server_times: list[datetime] = field(default_factory=list)  # Date headers of the APIs' answers

    @property
    def telegram_root(self) -> str:
        return (self.settings.telegram_api_base_url or TELEGRAM_API).rstrip("/")

    @property
    def line_root(self) -> str:
        return (self.settings.line_api_base_url or LINE_API).rstrip("/")

    @property
    def public(self) -> str:
        return self.settings.public_base_url.strip().rstrip("/")


class Unreachable(Exception):
    """No HTTP answer (refused, DNS, timeout)."""


async def get_json(probe: Probe, url: str, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    """GET a JSON endpoint: (status, body or None); remembers the server's clock from its Date header."""
    assert probe.session is not None
    try:
        async with probe.session.get(url, headers=headers, timeout=aiohttp.ClientTimeout(total=probe.timeout)) as r:
            date = r.headers.get("Date")
            if date:
                with contextlib.suppress(TypeError, ValueError):
                    probe.server_times.append(parsedate_to_datetime(date))
            try:
                body = await r.json(content_type=None)
            except ValueError:
                body = None
            return r.status, body
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        raise Unreachable(f"{type(exc).__name__}: {str(exc)[:120]}") from exc


def line_headers(probe: Probe) -> dict[str, str]:
    return {"Authorization": f"Bearer {probe.settings.line_access_token}"}


def line_on(probe: Probe) -> bool:
    return bool(probe.settings.line_channel_secret and probe.settings.line_access_token)
