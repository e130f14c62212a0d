"""`itabot store copy`: move a host's records and evidence between TinyDB files and PostgreSQL, verified."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path
from typing import cast

from bot.config import resolve_data_dir
from storage.copy import KINDS, CopyRefused, CopyReport, Exportable, copy_store
from storage.factory import open_repository, redact_url

from . import Command

__all__ = ["COMMAND", "print_report"]

EVIDENCE_DIR_ENV = "ITABOT_EVIDENCE_DIR"
_EPILOG = """\
ปลอดภัยเมื่อสั่งซ้ำ: คัดลอกเฉพาะที่ปลายทางยังไม่มี รายงานคงรหัสเดิมและไม่ถูกเขียนทับ แล้วตรวจจำนวนและ SHA-256 ทุกชนิด
Safe to re-run: only what the target lacks is written (a second run copies 0 and verifies again);
reports keep their ids and are appended, never rewritten; every kind is checked by count and SHA-256.

A target holding anything that did not come from this source (another office, a record changed
since the last copy) is refused before anything is written. --merge copies anyway: the source's
version of each record wins, the target's other records stay, reports are only added.

Not copied: the inbox (stop `itabot run` on both sides first, so it is empty), the invite-guess
throttle (a 10-minute window), exports and download links (made again on demand). A PostgreSQL
end keeps evidence files in --from-evidence/--to-evidence (default $ITABOT_EVIDENCE_DIR, else
<--data-dir>/evidence); a directory end in DIR/evidence. Exit 0 all verified, 1 a mismatch,
2 usage, 3 a store that cannot be opened (unreachable, not migrated: run `itabot migrate`)."""


def _is_url(end: str) -> bool:
    return end.startswith(("postgresql://", "postgres://"))


def _evidence_dir(end: str, given: str | None, data_dir: str | None) -> Path:
    """Where an end keeps evidence files: DIR/evidence for a directory, the shared folder for PostgreSQL."""
    if given:
        return Path(given).expanduser()
    if not _is_url(end):
        return Path(end).expanduser() / "evidence"
    env = os.environ.get(EVIDENCE_DIR_ENV)
    return Path(env).expanduser() if env else resolve_data_dir(data_dir) / "evidence"


def _open(end: str) -> Exportable:
    """A PostgreSQL URL or a TinyDB data directory."""
    if _is_url(end):
        from storage.pg_schema import connect

        connect(end, timeout=5).close()  # one quick try: an unreachable server is one clear line (exit 3)
        return cast(Exportable, open_repository(None, end))
    return cast(Exportable, open_repository(Path(end).expanduser()))


def _label(end: str) -> str:
    return redact_url(end) if _is_url(end) else str(Path(end).expanduser())


def _progress(done: int, total: int, org_id: str) -> None:
    """One overwritten line on a terminal: a province's copy takes a while."""
    print(f"\rหน่วยงาน / office {done}/{total} {org_id}", end="", file=sys.stderr, flush=True)


def print_report(report: CopyReport) -> None:
    """The per-kind verification table, then notes and one verdict line."""
    print(f"{'ชนิด/kind':<12} {'ต้นทาง/source':>14} {'ปลายทาง/target':>15} {'คัดลอก/copied':>14}  ตรวจ/verified")
    for kind in KINDS:
        row = report.kinds[kind]
        mark = "✓" if row.ok else f"✗ ({row.missing} ไม่ตรง/differ)"
        print(f"{kind:<12} {row.source:>14} {row.target:>15} {row.copied:>14}  {mark} sha256 {row.target_sha[:12]}")
    for note in report.notes:
        print(f"! {note}")
    if report.ok:
        print("ครบถ้วน ตรงกันทุกชนิด / verified: every kind matches")
    else:
        print("ตรวจแล้วไม่ตรงกัน ดูแถวที่มี ✗ / verification failed: see the rows marked ✗")


def _add(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="store_command", metavar="ACTION", required=True)
    cp = sub.add_parser(
        "copy", help="คัดลอกข้อมูลทั้งหมดไปอีกที่เก็บและตรวจ / copy everything to another store and verify",
        description="คัดลอกข้อมูลทั้งหมดระหว่างโฟลเดอร์ TinyDB กับ PostgreSQL / copy a whole store between "
        "a TinyDB data directory and PostgreSQL", epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cp.add_argument("--from", dest="source", required=True, metavar="DIR|postgresql://…", help="ต้นทาง / source")
    cp.add_argument("--to", dest="target", required=True, metavar="DIR|postgresql://…", help="ปลายทาง / target")
    cp.add_argument("--merge", action="store_true", help="รวมเข้ากับข้อมูลที่ปลายทางมีอยู่ / combine with what the target holds")
    cp.add_argument("--from-evidence", metavar="DIR", help="โฟลเดอร์หลักฐานของต้นทาง / the source's evidence folder")
    cp.add_argument("--to-evidence", metavar="DIR", help="โฟลเดอร์หลักฐานของปลายทาง / the target's evidence folder")
    cp.add_argument("--data-dir", default=argparse.SUPPRESS, metavar="DIR", help="โฟลเดอร์ข้อมูล / data directory (for evidence defaults)")


def _run(args: argparse.Namespace) -> int:
    source, target = args.source, args.target
    if _label(source) == _label(target) or (
        not _is_url(source) and not _is_url(target) and Path(source).resolve() == Path(target).resolve()
    ):
        print("ต้นทางกับปลายทางเป็นที่เดียวกัน / the source and the target are the same store", file=sys.stderr)
        return 2
    if not _is_url(source) and not (Path(source).expanduser() / "registry.json").is_file():
        print(f"ไม่พบข้อมูลต้นทางใน {source} (ต้องมี registry.json) / no itabot data in {source}", file=sys.stderr)
        return 2
    data_dir = getattr(args, "data_dir", None)
    src_evidence = _evidence_dir(source, args.from_evidence, data_dir)
    dst_evidence = _evidence_dir(target, args.to_evidence, data_dir)
    src_store, dst_store = _open(source), None
    try:
        dst_store = _open(target)
        lock = getattr(src_store, "write_lock", None)  # TinyDB: a running bot's writes wait; the copy is one moment
        with lock() if callable(lock) else contextlib.nullcontext():
            report = copy_store(
                src_store, dst_store, source_evidence=src_evidence, target_evidence=dst_evidence,
                merge=args.merge, progress=_progress if sys.stderr.isatty() else None,
            )
        if sys.stderr.isatty():
            print(file=sys.stderr)
    except CopyRefused as exc:
        print(str(exc), file=sys.stderr)
        return 1
    finally:
        src_store.close()
        if dst_store is not None:
            dst_store.close()
    print(f"{_label(source)} → {_label(target)}")
    print(f"หลักฐาน / evidence: {src_evidence} → {dst_evidence}")
    print_report(report)
    return 0 if report.ok else 1


COMMAND = Command(
    "store", "ย้ายข้อมูลระหว่าง TinyDB กับ PostgreSQL / move data between TinyDB and PostgreSQL (store copy)",
    _add, _run, order=86,
)
