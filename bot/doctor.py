"""`itabot doctor`'s checks: what a host needs, each one line with ✓/✗ and, when ✗, what to do.

Every check is a small async function of one `Probe` (the settings, the data directory, the injected
clock and one HTTP session); the platform APIs are asked at the configured base URLs, so tests point
them at local fake servers. A check that does not apply to this configuration says so with "–".
Network checks live in doctor_remote.py, the machine's in doctor_host.py.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import aiohttp

from .doctor_host import check_backup, check_clock, check_disk, check_libreoffice, check_modes, check_timezone
from .doctor_probe import FAIL, OK, SKIP, Finding, Probe
from .doctor_remote import (
    check_healthz,
    check_line_quota,
    check_line_token,
    check_line_webhook,
    check_store,
    check_telegram_token,
    check_telegram_webhook,
)

__all__ = ["CHECKS", "FAIL", "OK", "SKIP", "Finding", "Probe", "run_checks"]

Check = Callable[[Probe], Awaitable[Finding]]
CHECKS: tuple[Check, ...] = (
    check_modes,  # before the store check: opening TinyDB tightens the folder's own mode
    check_store, check_telegram_token, check_line_token, check_telegram_webhook, check_line_webhook,
    check_healthz, check_clock, check_timezone, check_disk, check_libreoffice, check_backup, check_line_quota,
)


async def run_checks(probe: Probe, checks: tuple[Check, ...] = CHECKS) -> list[Finding]:
    """Every check in order; a check that breaks is a ✗ line, never a traceback."""
    findings = []
    async with aiohttp.ClientSession() as session:
        probe.session = session
        for check in checks:
            try:
                findings.append(await check(probe))
            except Exception as exc:  # noqa: BLE001 - the doctor reports, it does not crash
                name = check.__name__.removeprefix("check_")
                findings.append(Finding(FAIL, name, f"ตรวจไม่สำเร็จ / check failed: {type(exc).__name__}: {exc}"))
        probe.session = None
    return findings
