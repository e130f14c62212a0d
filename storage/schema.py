"""Every stored row is checked against its model when a file is loaded: damage stops startup, not /report."""

from __future__ import annotations

import dataclasses
import hashlib
import typing
from collections.abc import Callable
from typing import Any

from .models import Approval, Invite, Measure, Officer, Organization, ReportEntry, Review, SendRecord, Unit

__all__ = ["CHECKS", "validator_for"]

Check = Callable[[Any], str | None]

_SCALARS: dict[Any, tuple[type, ...]] = {str: (str,), int: (int,), bool: (bool,), float: (int, float)}


def _type_check(hint: Any) -> Check:
    """A checker for one annotated field type (scalars, lists of scalars, nested records, dicts)."""
    origin = typing.get_origin(hint)
    if hint in _SCALARS:
        kinds = _SCALARS[hint]
        exact_int = hint is int
        return lambda v: None if isinstance(v, kinds) and not (exact_int and isinstance(v, bool)) else (
            f"expected {hint.__name__}, got {type(v).__name__}"
        )
    if origin is list:
        (item,) = typing.get_args(hint) or (Any,)
        inner = _type_check(item)

        def check_list(v: Any) -> str | None:
            if not isinstance(v, list):
                return f"expected a list, got {type(v).__name__}"
            return next((f"item {i}: {p}" for i, x in enumerate(v) if (p := inner(x))), None)

        return check_list
    if origin is dict or hint is dict:
        return lambda v: None if isinstance(v, dict) else f"expected an object, got {type(v).__name__}"
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return _record_check(hint)
    return lambda v: None  # Any, Literal and friends: the code that reads them copes


def _record_check(cls: type) -> Check:
    """A checker for a dataclass row: required fields present, every known field of its type."""
    hints = typing.get_type_hints(cls)
    required = {
        f.name
        for f in dataclasses.fields(cls)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    }
    checks = {f.name: _type_check(hints[f.name]) for f in dataclasses.fields(cls)}

    def check(row: Any) -> str | None:
        if not isinstance(row, dict):
            return "not an object"
        missing = sorted(required - row.keys())
        if missing:
            return f"missing {', '.join(missing)}"
        for name, value in row.items():
            test = checks.get(name)
            problem = test(value) if test is not None else None
            if problem:
                return f"{name}: {problem}"
        return None

    return check


def _keyed(**fields: type) -> Check:
    """A checker for the small non-model rows (identities, states, settings)."""

    def check(row: Any) -> str | None:
        for name, kind in fields.items():
            if not isinstance(row.get(name), kind):
                return f"{name}: missing or not {kind.__name__}"
        return None

    return check


_TABLES: dict[str, dict[str, Check]] = {
    "registry": {
        "orgs": _record_check(Organization),
        "invites": _record_check(Invite),
        "identities": _keyed(platform=str, user_id=str, org_id=str, officer_id=str),
    },
    "org": {
        "units": _record_check(Unit),
        "officers": _record_check(Officer),
        "states": _keyed(key=str, state=dict),
        "settings": _keyed(key=str),
    },
    "fy": {
        "measures": _record_check(Measure),
        "reports": _record_check(ReportEntry),
        "sends": _record_check(SendRecord),
        "reviews": _record_check(Review),
        "approvals": _record_check(Approval),
    },
}


def _checks_name() -> str:
    """What the checks are: every checked model's fields and types (a release that changes them re-checks all)."""
    models = (Organization, Invite, Unit, Officer, Measure, ReportEntry, SendRecord, Review, Approval)
    text = repr([(m.__name__, sorted((k, str(v)) for k, v in typing.get_type_hints(m).items())) for m in models])
    return "v1:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


CHECKS = _checks_name()


def _kind(rel: str) -> str:
    """Which file this is: the registry, an office file or a fiscal-year file."""
    name = rel.rsplit("/", 1)[-1]
    if rel == "registry.json":
        return "registry"
    if name == "org.json":
        return "org"
    return "fy" if name.startswith("fy") else ""


def validator_for(rel: str) -> Callable[[dict[str, Any]], str | None]:
    """The load-time check of one database file (tables it does not know are left alone)."""
    tables = _TABLES.get(_kind(rel), {})

    def validate(data: dict[str, Any]) -> str | None:
        for table, check in tables.items():
            for doc_id, row in (data.get(table) or {}).items():
                problem = check(row)
                if problem:
                    return f"table {table!r} row {doc_id}: {problem}"
        return None

    return validate
