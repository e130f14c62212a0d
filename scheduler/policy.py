"""The reminder policy of an organization: defaults from issue 6, overridable per organization.

Where overrides come from (later wins, each only changes the keys it names):

1. the built-in defaults below (``ReminderPolicy()``);
2. ``<data dir>/reminders.toml``: a ``[default]`` table for every organization hosted in that data
   directory, then an ``[org.<org_id>]`` table for one organization;
3. the organization's repository setting ``"reminder_policy"`` (a dict with the same keys), which
   an admin command can change without touching files.

Example ``reminders.toml``::

    [default]
    open_days_before = 14
    remind_days_before = [7, 3, 1, 0]
    overdue_every_workdays = 3
    overdue_max = 5
    send_time = "09:00"
    quiet_start = "08:30"
    quiet_end = "16:30"

    [org.abc123]
    remind_days_before = [5, 1, 0]
    extra_holidays = ["2026-01-02"]     # local days off (วันหยุดท้องถิ่น)

Unknown keys and bad values are refused with a clear error (PolicyError) rather than ignored, so a
typo never silently stops the reminders.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from typing import Any

from storage.repository import Repository

__all__ = ["POLICY_FILE", "POLICY_SETTING", "PolicyError", "ReminderPolicy", "load_policy", "policy_from_dict"]

POLICY_FILE = "reminders.toml"
POLICY_SETTING = "reminder_policy"


class PolicyError(ValueError):
    """A policy override that cannot be used (unknown key, bad value)."""


@dataclass(frozen=True)
class ReminderPolicy:
    """When an organization's officers and heads hear from the bot during a round."""

    open_days_before: int = 14
    remind_days_before: tuple[int, ...] = (7, 3, 1, 0)
    overdue_every_workdays: int = 3
    overdue_max: int = 5
    send_time: time = time(9, 0)
    digest_delay_minutes: int = 30  # heads' digest follows the officers' reminders of that morning
    quiet_start: time = time(8, 30)  # nothing is ever sent before this time of day …
    quiet_end: time = time(16, 30)  # … nor after this one
    digest_before_days: int = 1  # digest after the T-1 reminder
    extra_holidays: tuple[date, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.open_days_before < 0 or any(d < 0 for d in self.remind_days_before):
            raise PolicyError("จำนวนวันต้องไม่ติดลบ / days must not be negative")
        if self.overdue_every_workdays < 1 or self.overdue_max < 0:
            raise PolicyError("overdue_every_workdays must be ≥ 1 and overdue_max ≥ 0")
        if not self.quiet_start < self.quiet_end:
            raise PolicyError("quiet_start must be before quiet_end")
        if not self.quiet_start <= self.send_time < self.quiet_end:
            raise PolicyError("send_time must lie within quiet_start–quiet_end")

    def to_dict(self) -> dict[str, Any]:
        """JSON/TOML-friendly form (times as HH:MM, dates as ISO)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, time):
                value = value.strftime("%H:%M")
            elif f.name == "extra_holidays":
                value = [d.isoformat() for d in value]
            elif isinstance(value, tuple):
                value = list(value)
            out[f.name] = value
        return out


def _time(value: Any) -> time:
    if isinstance(value, time):
        return value
    return time.fromisoformat(str(value))


def _date(value: Any) -> date:
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


_CONVERT: dict[str, Any] = {
    "open_days_before": int,
    "remind_days_before": lambda v: tuple(sorted({int(x) for x in v}, reverse=True)),
    "overdue_every_workdays": int,
    "overdue_max": int,
    "send_time": _time,
    "digest_delay_minutes": int,
    "quiet_start": _time,
    "quiet_end": _time,
    "digest_before_days": int,
    "extra_holidays": lambda v: tuple(sorted(_date(x) for x in v)),
}


def policy_from_dict(overrides: dict[str, Any], base: ReminderPolicy | None = None) -> ReminderPolicy:
    """Apply overrides (TOML/JSON values) on a base policy; refuse unknown keys and bad values."""
    base = base or ReminderPolicy()
    unknown = sorted(set(overrides) - set(_CONVERT))
    if unknown:
        raise PolicyError(f"unknown reminder policy key(s): {', '.join(unknown)}")
    changes: dict[str, Any] = {}
    for key, raw in overrides.items():
        try:
            changes[key] = _CONVERT[key](raw)
        except (TypeError, ValueError) as exc:
            raise PolicyError(f"bad value for {key}: {raw!r}") from exc
    return dataclasses.replace(base, **changes)


def _file_overrides(data_dir: Path | None, org_id: str) -> list[dict[str, Any]]:
    if data_dir is None:
        return []
    path = Path(data_dir) / POLICY_FILE
    if not path.exists():
        return []
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{path}: {exc}") from exc
    layers = [doc.get("default", {})]
    layers.append(doc.get("org", {}).get(org_id, {}))
    return [layer for layer in layers if layer]


def load_policy(repo: Repository, org_id: str, data_dir: Path | None = None) -> ReminderPolicy:
    """The organization's policy: defaults ← reminders.toml ← repository setting."""
    if data_dir is None:
        data_dir = getattr(repo, "data_dir", None)
    policy = ReminderPolicy()
    for layer in _file_overrides(data_dir, org_id):
        policy = policy_from_dict(layer, policy)
    setting = repo.get_setting(org_id, POLICY_SETTING)
    if setting:
        policy = policy_from_dict(dict(setting), policy)
    return policy
