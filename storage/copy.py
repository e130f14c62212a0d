"""Copy a whole store to another (TinyDB ↔ PostgreSQL) through the repository interface, then verify it.

Moving a host between backends must lose nothing and be safe to repeat: records are compared by key
and only what is missing (or, with `merge`, different) is written; reports are appended with their
ids kept, so a second run writes nothing. Each kind is verified by count and by a SHA-256 over its
records in a canonical JSON form, read back from the target. Work is done one office at a time so a
province's store never has to fit in memory at once.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from .atomic import atomic_write_bytes
from .factory import Store
from .models import (
    Approval,
    Invite,
    Measure,
    Officer,
    Organization,
    ReportEntry,
    Review,
    SendRecord,
    Unit,
    from_dict,
    to_dict,
)

__all__ = ["KINDS", "CopyRefused", "CopyReport", "Exportable", "KindResult", "copy_store", "evidence_files"]

KINDS = ("orgs", "units", "officers", "identities", "invites", "measures", "reports", "reviews", "approvals",
         "states", "sends", "settings", "evidence")
_HASH_NAME = re.compile(r"[0-9a-f]{64}")
Docs = dict[str, dict[str, Any]]  # kind → key → canonical record


class Exportable(Store, Protocol):
    """A store that can list everything it holds (both backends can)."""

    def list_identities(self) -> list[tuple[str, str, str, str]]: ...
    def list_invites(self) -> list[Invite]: ...
    def list_states(self, org_id: str) -> dict[str, dict[str, Any]]: ...
    def list_settings(self, org_id: str) -> dict[str, Any]: ...
    def data_years(self, org_id: str) -> list[int]: ...


class CopyRefused(ValueError):
    """The target holds data that did not come from this source; the message says which (Thai/English)."""


@dataclass
class KindResult:
    """One row of the verification table."""

    kind: str
    source: int = 0
    target: int = 0
    copied: int = 0
    missing: int = 0  # source records absent or different in the target after the copy
    _src: Any = field(default_factory=hashlib.sha256, repr=False)
    _tgt: Any = field(default_factory=hashlib.sha256, repr=False)

    @property
    def ok(self) -> bool:
        """Every source record is in the target, identical."""
        return self.missing == 0 and self.source_sha == self.target_sha

    @property
    def source_sha(self) -> str:
        return str(self._src.hexdigest())

    @property
    def target_sha(self) -> str:
        return str(self._tgt.hexdigest())


@dataclass
class CopyReport:
    """What a copy did and found, kind by kind."""

    kinds: dict[str, KindResult] = field(default_factory=lambda: {k: KindResult(k) for k in KINDS})
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.kinds.values())


def _canon(value: Any) -> str:
    """One stable JSON text per record: what the hashes and comparisons see (PostgreSQL drops NUL characters)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).replace("\\u0000", "")


def _global_docs(repo: Exportable) -> Docs:
    """Organizations, chat identities and invites (not per office)."""
    return {
        "orgs": {o.id: to_dict(o) for o in repo.list_orgs()},
        "identities": {f"{p}\x1f{u}": {"org_id": o, "officer_id": i} for p, u, o, i in repo.list_identities()},
        "invites": {i.code: to_dict(i) for i in repo.list_invites()},
    }


def _org_docs(repo: Exportable, org_id: str) -> Docs:
    """Everything one office holds, keyed so the same record has the same key in any store."""
    docs: Docs = {
        "units": {u.id: to_dict(u) for u in repo.list_units(org_id)},
        "officers": {o.id: to_dict(o) for o in repo.list_officers(org_id)},
        "measures": {}, "reports": {}, "sends": {}, "reviews": {}, "approvals": {},
        "states": dict(repo.list_states(org_id)),
        "settings": {k: {"value": v} for k, v in repo.list_settings(org_id).items()},
    }
    for fy in repo.data_years(org_id):
        docs["measures"].update({f"{fy}/{m.id}": to_dict(m) for m in repo.list_measures(org_id, fy)})
        docs["reports"].update({f"{fy}/{r.id}": to_dict(r) for r in repo.list_reports(org_id, fy)})
        docs["sends"].update({f"{fy}/{s.key}": to_dict(s) for s in repo.list_sends(org_id, fy)})
        for kind, rows in (("reviews", repo.list_reviews(org_id, fy)), ("approvals", repo.list_approvals(org_id, fy))):
            docs[kind].update({f"{fy}/{_content_key(d)}": d for d in map(to_dict, rows)})  # no ids: keyed by content
    return docs


def _content_key(doc: dict[str, Any]) -> str:
    """A key for an append-only record that has no id of its own (a review, an approval)."""
    return hashlib.sha256(_canon(doc).encode()).hexdigest()[:32]


def _same(a: dict[str, Any] | None, b: dict[str, Any] | None, kind: str, merge: bool) -> bool:
    """Equal records; under merge a report's revision may differ (the target numbers its own)."""
    if a is None or b is None:
        return a is b
    if kind == "reports" and merge:
        a, b = {**a, "revision": 0}, {**b, "revision": 0}
    return _canon(a) == _canon(b)


def _conflicts(src: Docs, tgt: Docs, where: str) -> list[str]:
    """Target records that a copy from this source would not have made: extra or different ones."""
    found = []
    for kind, target in tgt.items():
        source = src.get(kind, {})
        extra = [k for k in target if k not in source]
        changed = [k for k in target if k in source and not _same(source[k], target[k], kind, False)]
        if extra or changed:
            sample = (extra or changed)[0].replace("\x1f", ":")
            found.append(f"{where}{kind}: {len(extra)} extra, {len(changed)} different (e.g. {sample})")
    return found


def _feed(result: KindResult, src: dict[str, Any], tgt: dict[str, Any], merge: bool) -> None:
    """Add one batch (sorted by key) to the kind's counts and hashes; the target is read back."""
    result.source += len(src)
    result.target += len(tgt)
    for key in sorted(src):
        line = f"{key}\x1e{_canon(src[key])}\n".encode()
        result._src.update(line)
        if key in tgt and _same(src[key], tgt[key], result.kind, merge):
            result._tgt.update(line)  # the same bytes: equal records give equal digests
        else:
            result.missing += 1
            result._tgt.update(f"{key}\x1e{_canon(tgt.get(key))}\n".encode())


def _write_global(target: Exportable, src: Docs, tgt: Docs, report: CopyReport) -> None:
    """Organizations first (everything else belongs to one)."""
    for key, doc in src["orgs"].items():
        if not _same(doc, tgt["orgs"].get(key), "orgs", False):
            target.save_org(from_dict(Organization, doc))
            report.kinds["orgs"].copied += 1


def _write_links(target: Exportable, src: Docs, tgt: Docs, report: CopyReport) -> None:
    """Invites and chat identities last: they point at officers that now exist."""
    for key, doc in src["invites"].items():
        if not _same(doc, tgt["invites"].get(key), "invites", False):
            target.save_invite(from_dict(Invite, doc))
            report.kinds["invites"].copied += 1
    for key, doc in src["identities"].items():
        if not _same(doc, tgt["identities"].get(key), "identities", False):
            platform, _, user_id = key.partition("\x1f")
            target.link_identity(platform, user_id, doc["org_id"], doc["officer_id"])
            report.kinds["identities"].copied += 1


def _changed(kind: str, src: Docs, tgt: Docs) -> Iterator[tuple[str, dict[str, Any]]]:
    """Source records of a kind that the target lacks or holds differently."""
    for key, doc in src[kind].items():
        if not _same(doc, tgt[kind].get(key), kind, False):
            yield key, doc


def _write_org(target: Exportable, org_id: str, src: Docs, tgt: Docs, report: CopyReport, merge: bool) -> None:
    """One office's records, in the order the bot itself would have written them."""
    counts = report.kinds
    simple: dict[str, Callable[[str, dict[str, Any]], None]] = {
        "units": lambda _k, d: target.save_unit(from_dict(Unit, d)),
        "officers": lambda _k, d: target.save_officer(from_dict(Officer, d)),
        "states": lambda k, d: target.set_state(org_id, k, d),
        "sends": lambda _k, d: target.log_send(from_dict(SendRecord, d)),
        "settings": lambda k, d: target.set_setting(org_id, k, d["value"]),
    }
    for kind in ("units", "officers"):
        for key, doc in _changed(kind, src, tgt):
            simple[kind](key, doc)
            counts[kind].copied += 1
    years = sorted({int(k.split("/")[0]) for k in src["measures"]})
    for fy in years:  # a plan is replaced whole, as `itabot import` does
        mine = {k: d for k, d in src["measures"].items() if k.startswith(f"{fy}/")}
        theirs = {k: d for k, d in tgt["measures"].items() if k.startswith(f"{fy}/")}
        if any(not _same(d, theirs.get(k), "measures", False) for k, d in mine.items()) or (
            not merge and set(theirs) - set(mine)
        ):
            plan = [from_dict(Measure, d) for d in mine.values()]
            keep = [from_dict(Measure, d) for k, d in theirs.items() if k not in mine] if merge else []
            target.save_measures(org_id, fy, plan + keep)
            counts["measures"].copied += len(plan)
    for key, doc in src["reports"].items():  # append-only: oldest first, ids kept, never rewritten
        if key not in tgt["reports"]:
            target.add_report(from_dict(ReportEntry, doc))
            counts["reports"].copied += 1
    appends: dict[str, Callable[[dict[str, Any]], None]] = {
        "reviews": lambda d: target.add_review(from_dict(Review, d)),
        "approvals": lambda d: target.add_approval(from_dict(Approval, d)),
    }
    for kind, append in appends.items():  # append-only history, oldest first, never rewritten
        for key, doc in src[kind].items():
            if key not in tgt[kind]:
                append(doc)
                counts[kind].copied += 1
    for kind in ("states", "sends", "settings"):
        for key, doc in _changed(kind, src, tgt):
            simple[kind](key, doc)
            counts[kind].copied += 1


def evidence_files(root: Path | None) -> dict[str, Path]:
    """Content-addressed files under an evidence root (evidence/<aa>/<sha256>) by their hash."""
    if root is None or not root.is_dir():
        return {}
    return {p.name: p for p in sorted(root.glob("??/*")) if _HASH_NAME.fullmatch(p.name) and p.is_file()}


def _sha_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _copy_evidence(src_root: Path | None, dst_root: Path | None, report: CopyReport) -> None:
    """Copy every evidence file the target lacks (or holds damaged); verify each by its hash."""
    result = report.kinds["evidence"]
    files = evidence_files(src_root)
    same_dir = src_root is not None and dst_root is not None and src_root.resolve() == dst_root.resolve()
    for name, path in files.items():
        if _sha_of(path) != name:
            report.notes.append(f"หลักฐานต้นทางเสียหาย / damaged source evidence file: {path}")
            result.source += 1
            result.missing += 1
            continue
        dest = dst_root / name[:2] / name if dst_root is not None else None
        if dest is not None and not same_dir and (not dest.is_file() or _sha_of(dest) != name):
            atomic_write_bytes(dest, path.read_bytes())
            result.copied += 1
        ok = dest is not None and dest.is_file() and _sha_of(dest) == name
        _feed(result, {name: {"sha256": name}}, {name: {"sha256": name}} if ok else {}, False)
    result.target = len(evidence_files(dst_root))


def _referenced(docs: Docs) -> set[str]:
    """Hashes of evidence files an office's reports point at."""
    return {e["sha256"] for r in docs["reports"].values() for e in r.get("evidence", []) if e.get("sha256")}


def copy_store(
    source: Exportable,
    target: Exportable,
    *,
    source_evidence: Path | None,
    target_evidence: Path | None,
    merge: bool = False,
    progress: Callable[[int, int, str], None] | None = None,
) -> CopyReport:
    """Copy what the target lacks, then verify every kind; CopyRefused before any write when unsafe."""
    report = CopyReport()
    src_global, tgt_global = _global_docs(source), _global_docs(target)
    org_ids = list(src_global["orgs"])
    if not merge:
        problems = _conflicts(src_global, tgt_global, "")
        for org_id in [o for o in tgt_global["orgs"] if o in src_global["orgs"]]:
            problems += _conflicts(_org_docs(source, org_id), _org_docs(target, org_id), f"{org_id}/")
        if problems:
            raise CopyRefused(
                "ปลายทางมีข้อมูลที่ไม่ได้มาจากต้นทางนี้ จึงไม่คัดลอก (ใช้ --merge เพื่อรวม) / the target holds data "
                "that did not come from this source; nothing was copied (use --merge to combine):\n  "
                + "\n  ".join(problems[:10])
            )
    _write_global(target, src_global, tgt_global, report)
    used: set[str] = set()
    for done, org_id in enumerate(org_ids, 1):
        src, tgt = _org_docs(source, org_id), _org_docs(target, org_id)
        _write_org(target, org_id, src, tgt, report, merge)
        after = _org_docs(target, org_id)
        for kind in ("units", "officers", "measures", "reports", "reviews", "approvals", "states", "sends", "settings"):
            _feed(report.kinds[kind], {f"{org_id}/{k}": v for k, v in src[kind].items()},
                  {f"{org_id}/{k}": v for k, v in after[kind].items()}, merge)
        used |= _referenced(src)
        if progress is not None:
            progress(done, len(org_ids), org_id)
    _write_links(target, src_global, tgt_global, report)
    final = _global_docs(target)
    for kind in ("orgs", "identities", "invites"):
        _feed(report.kinds[kind], src_global[kind], final[kind], merge)
    _copy_evidence(source_evidence, target_evidence, report)
    absent = sorted(used - set(evidence_files(source_evidence)))
    if absent and source_evidence is not None:
        report.notes.append(
            f"ต้นทางไม่มีไฟล์หลักฐาน {len(absent)} ไฟล์ที่รายงานอ้างถึง (ไม่ได้หายเพราะการคัดลอก) / "
            f"{len(absent)} evidence file(s) the reports name were already missing in the source, e.g. {absent[0][:12]}…"
        )
    return report
