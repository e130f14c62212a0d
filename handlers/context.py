"""Per-event context and the dispatch tables that flows register into with decorators."""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence, Sized
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from domain.events import Button, Incoming, Reply
from domain.limits import BoundedRunner, run_inline
from domain.status import answers_by_round
from storage.clock import Clock
from storage.evidence import EvidenceStore
from storage.models import Measure, Officer, Organization, ReportEntry, Unit
from storage.repository import Repository

from .texts import t

__all__ = [
    "Ctx",
    "Derived",
    "Handler",
    "ActionHandler",
    "COMMANDS",
    "ACTIONS",
    "STEPS",
    "STATELESS",
    "SAVE_HOOKS",
    "SaveHook",
    "CommandSpec",
    "command",
    "action",
    "step",
    "stateless",
    "on_save",
    "MAX_TEXT",
]

MAX_TEXT = 4000  # one answer; the official form's cell is no essay, and phones choke on more


class Derived:
    """What views compute from saved answers, kept across events while the answers it came from are current.

    A value is keyed by what it is and checked against its basis: the repository's read-only snapshots it was
    computed from (`report_snapshot`), compared by identity, so a save (a new snapshot) recomputes it. Values
    are shared by every event and thread: callers never change them. Bounded by entries and by the answer rows
    their bases hold (each snapshot counted once): a value whose snapshot the store has dropped never matches
    again, and must not keep a year's answers alive (the TinyDB store keeps 10,000 rows: room for stale ones).
    """

    def __init__(self, size: int = 72, rows: int = 12_000) -> None:  # ~3 values per office of ~24 offices
        self._items: OrderedDict[tuple[Any, ...], tuple[tuple[object, ...], Any]] = OrderedDict()
        self._size = size
        self._rows = rows
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...], basis: tuple[object, ...], make: Callable[[], Any]) -> Any:
        """The value for key computed from basis, made now unless the same basis made it before."""
        with self._lock:
            hit = self._items.get(key)
            if hit is not None and len(hit[0]) == len(basis) and all(a is b for a, b in zip(hit[0], basis, strict=True)):
                self._items.move_to_end(key)
                return hit[1]
        value = make()
        with self._lock:
            self._items[key] = (basis, value)
            self._items.move_to_end(key)
            while len(self._items) > 1 and (len(self._items) > self._size or self._held_rows() > self._rows):
                self._items.popitem(last=False)
        return value

    def _held_rows(self) -> int:
        """Answer rows of the distinct snapshots (the bases' items) the kept values came from."""
        snaps = {id(snap): snap for basis, _ in self._items.values() for snap in basis}
        return sum(len(snap) for snap in snaps.values() if isinstance(snap, Sized))


@dataclass
class Ctx:
    """What a flow needs to answer one event: who, where they are, and the services."""

    repo: Repository
    evidence: EvidenceStore
    clock: Clock
    event: Incoming
    officer: Officer
    org: Organization
    key: str
    state: dict[str, Any] | None
    exports_dir: Path | None = None
    remind: Callable[[str, str], str] | None = None  # port: send this round's reminders now
    bounded: BoundedRunner = run_inline  # port: heavy or untrusted work (rendering, imports), bounded
    saved: Callable[[ReportEntry], None] | None = None  # port: an answer was saved (its links get checked)
    site_url: str = ""  # where the published site is served (PUBLIC_BASE_URL/site); "" when not public
    pushes: list[Reply] = field(default_factory=list)  # messages to other people, sent after the replies
    derived: Derived = field(default_factory=Derived)  # the engine's, shared by events: see Derived
    _units: list[Unit] | None = field(default=None, repr=False)
    _memo: dict[tuple[str, int], Any] = field(default_factory=dict, repr=False)

    @property
    def lang(self) -> str:
        """The person's interface language."""
        return self.officer.lang or "th"

    def t(self, key: str, **kw: object) -> str:
        """A text in the person's language."""
        return t(self.lang, key, **kw)

    @property
    def units(self) -> list[Unit]:
        """The organization's units (loaded once per event)."""
        if self._units is None:
            self._units = self.repo.list_units(self.org.id)
        return self._units

    def measures(self, fiscal_year: int) -> list[Measure]:
        """The year's plan, read once per event."""
        key = ("measures", fiscal_year)
        if key not in self._memo:
            self._memo[key] = self.repo.list_measures(self.org.id, fiscal_year)
        return list(self._memo[key])

    def snapshot(self, fiscal_year: int) -> Sequence[ReportEntry]:
        """Every answer revision of the year, read-only and shared (never change one), read once per event."""
        key = ("entries", fiscal_year)
        if key not in self._memo:
            self._memo[key] = self.repo.report_snapshot(self.org.id, fiscal_year)
        snap: Sequence[ReportEntry] = self._memo[key]
        return snap

    def entries(self, fiscal_year: int) -> list[ReportEntry]:
        """Every answer revision of the year (what domain.status reads); the entries are shared: read only."""
        return list(self.snapshot(fiscal_year))

    def cached(self, what: str, fiscal_year: int, make: Callable[[Sequence[ReportEntry]], Any]) -> Any:
        """What `make` computes from the year's answers, kept until an answer of that year is saved."""
        snap = self.snapshot(fiscal_year)
        return self.derived.get((what, self.org.id, fiscal_year), (snap,), lambda: make(snap))

    def by_round(self, fiscal_year: int) -> dict[int, dict[tuple[str, str], ReportEntry]]:
        """The year's answers_by_round (domain.status), shared until an answer is saved: read only."""
        by_round: dict[int, dict[tuple[str, str], ReportEntry]] = self.cached("latest", fiscal_year, answers_by_round)
        return by_round

    def latest(self, fiscal_year: int, round_no: int) -> dict[tuple[str, str], ReportEntry]:
        """Newest answer per (measure, unit) in a round itself (domain.status.answers_by_round)."""
        return dict(self.by_round(fiscal_year).get(round_no, {}))

    def forget(self) -> None:
        """Drop what was read this event (after a write that changes it)."""
        self._memo.clear()

    def unit_name(self, unit_id: str) -> str:
        """A unit's name for display."""
        return next((u.name for u in self.units if u.id == unit_id), unit_id)

    def save(self, state: dict[str, Any] | None) -> None:
        """Persist the conversation state (None ends the conversation)."""
        self.state = state
        self.repo.set_state(self.org.id, self.key, state)

    def new_nonce(self) -> str:
        """A fresh token for the next keyboard: older keyboards become stale."""
        nonce = secrets.token_hex(2)
        if self.state is not None:
            self.state["n"] = nonce
        return nonce

    def button(self, label: str, act: str, arg: str = "") -> Button:
        """A button bound to the current keyboard's token (short data, never a Thai title)."""
        nonce = (self.state or {}).get("n") or self.new_nonce()
        data = f"{nonce}:{act}:{arg}"
        assert len(data.encode()) <= 64, data
        return Button(label, data)


Handler = Callable[[Ctx], list[Reply]]
ActionHandler = Callable[[Ctx, str], list[Reply]]


@dataclass(frozen=True)
class CommandSpec:
    """A /command: its handler and who may use it."""

    handler: Handler
    role: str = "officer"  # "officer" | "head" | "admin"
    in_flow: bool = False  # allowed while a report is half done


COMMANDS: dict[str, CommandSpec] = {}
ACTIONS: dict[str, ActionHandler] = {}
STEPS: dict[str, Handler] = {}
# buttons that work without a conversation ("go:fix:…" in a pushed message): prefix → handler of the rest
STATELESS: dict[str, ActionHandler] = {}
SaveHook = Callable[[Ctx, ReportEntry], list[Reply]]
SAVE_HOOKS: list[SaveHook] = []  # told of every saved answer revision; what they return is pushed to others


def command(*names: str, role: str = "officer", in_flow: bool = False) -> Callable[[Handler], Handler]:
    """Register a /command handler."""

    def deco(fn: Handler) -> Handler:
        for name in names:
            COMMANDS[name] = CommandSpec(fn, role, in_flow)
        return fn

    return deco


def action(name: str) -> Callable[[ActionHandler], ActionHandler]:
    """Register a button action (the middle part of a button's data)."""

    def deco(fn: ActionHandler) -> ActionHandler:
        if ACTIONS.get(name, fn) is not fn:  # two flows sharing a button name would steal each other's taps
            raise ValueError(f"button action {name!r} is registered twice")
        ACTIONS[name] = fn
        return fn

    return deco


def step(name: str) -> Callable[[Handler], Handler]:
    """Register what a conversation step does with typed text or attachments."""

    def deco(fn: Handler) -> Handler:
        STEPS[name] = fn
        return fn

    return deco


def stateless(prefix: str) -> Callable[[ActionHandler], ActionHandler]:
    """Register a button that needs no conversation state (its data is "prefix:arguments")."""

    def deco(fn: ActionHandler) -> ActionHandler:
        STATELESS[prefix] = fn
        return fn

    return deco


def on_save(fn: SaveHook) -> SaveHook:
    """Register a hook run after each saved answer revision (review requests cleared, approval outdated)."""
    if fn not in SAVE_HOOKS:
        SAVE_HOOKS.append(fn)
    return fn
