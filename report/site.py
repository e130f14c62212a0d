"""The published site: writes an approved round as static pages, rebuilds the indexes, unpublishes, zips.

An office's site lives in one folder (`data/site/<org>/`, served under PUBLIC_BASE_URL/site/<org>/):

    index.html  site.css            the office's front page and the one stylesheet
    2569/index.html                 a fiscal year: its published rounds and OIT pages
    2569/r6/index.html, round.json  a round's page and its public data (the source of every other page)
    2569/r6/files/…, report-…pdf    the evidence of that round's answers and the approved document
    oit/2569/o12.html               one stable page per OIT item, to paste into the ITAS form

A round's folder is built beside the site and swapped in whole, so readers never see half a round; the
indexes and OIT pages are then rebuilt from every round.json. Whether a round may be published (approved,
and approved for the answers as they are now) is decided by the caller (report/site_publish.py).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import json
import os
import secrets
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from PIL import Image, ImageOps

from storage.atomic import atomic_write_bytes
from storage.evidence import EvidenceStore

from .compile import RoundReport
from .options import ReportOptions
from .site_html import CSS
from .site_model import FileCopy, PublicApproval, PubRound, dump_round, load_round, public_round
from .site_pages import PROGRESS_ITEM, oit_page, org_index, round_dir, round_page, year_index
from .text import has_file

__all__ = [
    "PHOTO_MAX_PX",
    "SITE_DIR",
    "find_document",
    "org_site",
    "PublishJob",
    "PublishResult",
    "publish",
    "publish_in_worker",
    "published_rounds",
    "rebuild",
    "site_zip",
    "unpublish",
]

SITE_DIR = "site"  # under the data directory; served as /site/<org>/ when PUBLIC_BASE_URL is set
PHOTO_MAX_PX = 1280  # long side of a published photo: sharp on a phone, small on the office's web space
PHOTO_MAX_PIXELS = 60_000_000  # larger pictures are linked as files, never decoded


def org_site(data_dir: Path, org_id: str) -> Path:
    """An office's site folder under the data directory."""
    return data_dir / SITE_DIR / org_id


@dataclass(frozen=True)
class PublishJob:
    """Everything a publish needs, picklable for the bounded worker (no repository, no open files)."""

    report: RoundReport
    approval: PublicApproval
    options: ReportOptions
    org_root: Path
    evidence_root: Path | None
    documents: Path | None = None  # where the approved document may be (the office's exports), found by its hash
    private: frozenset[str] = frozenset()
    published: datetime | None = None
    zip_path: Path | None = None  # also write the whole site as a zip here (in the worker: it can be large)


@dataclass(frozen=True)
class PublishResult:
    """Where the round went: its page and the OIT pages, relative to the office's site folder."""

    round_page: str
    oit_pages: list[str]
    files: int


@contextlib.contextmanager
def _locked(org_root: Path) -> Iterator[None]:
    """One writer per office site at a time (the CLI and the bot may publish together)."""
    key = hashlib.sha256(str(org_root.resolve()).encode("utf-8")).hexdigest()[:24]
    lock = Path(tempfile.gettempdir()) / f"itabot-site-{key}.lock"  # not in the site nor beside it (--out)
    with open(lock, "a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _photo(data: bytes) -> bytes | None:
    """A photo for the web: upright, at most PHOTO_MAX_PX, JPEG without EXIF (no GPS, no camera serial)."""
    try:
        with Image.open(io.BytesIO(data)) as src:
            if src.width * src.height > PHOTO_MAX_PIXELS:
                return None
            img = ImageOps.exif_transpose(src) or src
            if img.mode in ("RGBA", "LA", "P"):
                rgba = img.convert("RGBA")
                img = Image.new("RGB", rgba.size, (255, 255, 255))
                img.paste(rgba, mask=rgba.split()[-1])
            img = img.convert("RGB")
            img.thumbnail((PHOTO_MAX_PX, PHOTO_MAX_PX))
            out = io.BytesIO()
            img.save(out, "JPEG", quality=82, optimize=True)
            return out.getvalue()
    except (OSError, ValueError, Image.DecompressionBombError, SyntaxError):
        return None


def _prepare_photos(report: RoundReport, store: EvidenceStore) -> tuple[set[str], dict[str, bytes]]:
    """Which evidence files exist (photos that cannot be decoded count as missing) and the resized photos."""
    available: set[str] = set()
    photos: dict[str, bytes] = {}
    for row in report.rows:
        for ans in row.answers:
            for ev in ans.entry.evidence:
                if ev.kind == "url" or ev.sha256 in available or not has_file(store, ev.sha256):
                    continue
                if ev.kind == "photo":
                    small = _photo(store.read(ev.sha256) or b"")
                    if small is None:
                        continue
                    photos[ev.sha256] = small
                available.add(ev.sha256)
    return available, photos


def _copy_files(work: Path, copies: list[FileCopy], photos: dict[str, bytes], store: EvidenceStore) -> None:
    (work / "files").mkdir(parents=True, exist_ok=True)
    for copy in copies:
        target = work / copy.dest
        if copy.photo:
            target.write_bytes(photos[copy.sha256])
            continue
        src = store.path_for(copy.sha256)
        if src is not None:
            shutil.copyfile(src, target)
        else:
            target.write_bytes(store.read(copy.sha256) or b"")


def find_document(folder: Path | None, sha256: str) -> Path | None:
    """The exact document the approver saw, when it is still among the office's exports (matched by its hash).

    Files made for approval are tried first, newest first, so the usual case reads one file.
    """
    if folder is None or not sha256 or not folder.is_dir():
        return None
    found = [p for p in folder.rglob("*") if p.suffix.lower() in (".pdf", ".docx") and p.is_file()]
    found.sort(key=lambda p: ("approval" not in p.name, -p.stat().st_mtime))
    for path in found:
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        if digest.hexdigest() == sha256:
            return path
    return None


def _document(job: PublishJob, work: Path, store: EvidenceStore) -> str:
    """The approved document itself when it is found, else the round rendered now (PDF when LibreOffice is there;
    its signature block carries the same approval, as the answers are the ones approved)."""
    from .docx import render_docx
    from .render import pdf_available, to_pdf

    base = f"report-{job.report.fiscal_year}-r{job.report.round.months}"
    approved = find_document(job.documents, job.approval.document_sha256)
    if approved is not None:
        name = base + approved.suffix.lower()
        shutil.copyfile(approved, work / name)
        return name
    docx = render_docx(job.report, work / f"{base}.docx", store, job.options.digits, job.options)
    if pdf_available():
        try:
            pdf = to_pdf(docx, work)
        except (OSError, RuntimeError):
            return docx.name
        docx.unlink()
        return pdf.name
    return docx.name


def _swap_in(work: Path, target: Path) -> None:
    """Replace a round's folder by the new one in two renames (readers see the old or the new, never half)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    trash = target.parent / f".old-{target.name}-{secrets.token_hex(4)}"
    if target.exists():
        os.replace(target, trash)
    os.replace(work, target)
    shutil.rmtree(trash, ignore_errors=True)


def publish(job: PublishJob, store: EvidenceStore) -> PublishResult:
    """Write the approved round's folder (page, evidence, document, round.json), then rebuild the indexes."""
    report = job.report
    published = job.published or report.generated_at
    available, photos = _prepare_photos(report, store)
    pub, copies = public_round(report, job.approval, job.options, available, job.private, published)
    with _locked(job.org_root):
        job.org_root.mkdir(parents=True, exist_ok=True)
        work = job.org_root / f".new-{secrets.token_hex(6)}"
        work.mkdir()
        try:
            _copy_files(work, copies, photos, store)
            pub = replace(pub, document=_document(job, work, store))
            (work / "round.json").write_text(json.dumps(dump_round(pub), ensure_ascii=False, indent=1), "utf-8")
            (work / "index.html").write_text(round_page(pub), "utf-8")
            _swap_in(work, job.org_root / round_dir(report.fiscal_year, report.round.months))
        finally:
            shutil.rmtree(work, ignore_errors=True)
        oit = rebuild(job.org_root)
    if job.zip_path is not None:
        site_zip(job.org_root, job.zip_path)
    here = f"{report.fiscal_year}/"
    return PublishResult(f"{round_dir(report.fiscal_year, report.round.months)}/index.html",
                         [p for p in oit if p.startswith(f"oit/{here}")], len(copies))


def publish_in_worker(job: PublishJob) -> PublishResult:
    """publish() for the bounded child process: its own evidence store from a plain path."""
    return publish(job, EvidenceStore(job.evidence_root))


def published_rounds(org_root: Path) -> dict[int, list[PubRound]]:
    """Every published round by fiscal year, rounds in order (read from their round.json)."""
    out: dict[int, list[PubRound]] = {}
    if not org_root.is_dir():
        return out
    for path in sorted(org_root.glob("[0-9][0-9][0-9][0-9]/r*/round.json")):
        try:
            pub = load_round(json.loads(path.read_text("utf-8")))
        except (OSError, ValueError, TypeError, KeyError):
            continue
        out.setdefault(pub.fiscal_year, []).append(pub)
    return {fy: sorted(rounds, key=lambda p: p.round_no) for fy, rounds in sorted(out.items())}


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, text.encode("utf-8"))


def _oit_codes(rounds: list[PubRound]) -> list[tuple[str, str]]:
    """The year's OIT items (code, title) in number order, the progress-report item always among them."""
    codes: dict[str, str] = {}
    for pub in rounds:
        for m in pub.measures:
            if m.oit_code:
                codes[m.oit_code] = m.title
    codes.setdefault(PROGRESS_ITEM, "การดำเนินการตามมาตรการส่งเสริมคุณธรรมและความโปร่งใสภายในหน่วยงาน")
    return sorted(codes.items(), key=lambda kv: int(kv[0][1:]) if kv[0][1:].isdigit() else 999)


def rebuild(org_root: Path) -> list[str]:
    """Rewrite the front page, the year indexes and the OIT pages from the published rounds; then drop stale ones
    (written first, removed after, so a reader never meets a missing page that still exists)."""
    years = published_rounds(org_root)
    written: list[str] = []
    if years:
        newest = years[max(years)][-1]
        style = newest.digits
        for fy, rounds in years.items():
            codes = _oit_codes(rounds)
            _write(org_root / str(fy) / "index.html",
                   year_index(newest.org_name, newest.org_place, fy, rounds, codes, style))
            for code, _title in codes:
                rel = f"oit/{fy}/{code}.html"
                _write(org_root / rel, oit_page(code, fy, rounds, style))
                written.append(rel)
        _write(org_root / "site.css", CSS)
        last = max((p for rs in years.values() for p in rs), key=lambda p: p.published_at)
        _write(org_root / "index.html", org_index(newest.org_name, newest.org_place, list(years), style,
                                                  last.published_on))
    for stale in org_root.glob("oit/*/*.html"):
        if stale.relative_to(org_root).as_posix() not in written:
            stale.unlink()
    for fy_dir in [p for p in org_root.glob("[0-9][0-9][0-9][0-9]") if p.is_dir() and int(p.name) not in years]:
        shutil.rmtree(fy_dir, ignore_errors=True)
    for empty in org_root.glob("oit/*"):
        if empty.is_dir() and not any(empty.iterdir()):
            empty.rmdir()
    return written


def unpublish(org_root: Path, fiscal_year: int | None = None, round_no: int | None = None) -> list[tuple[int, int]]:
    """Take rounds off the site (one round, a year, or everything); returns what was removed."""
    removed: list[tuple[int, int]] = []
    with _locked(org_root):
        for fy, rounds in published_rounds(org_root).items():
            for pub in rounds:
                if fiscal_year not in (None, fy) or round_no not in (None, pub.round_no):
                    continue
                shutil.rmtree(org_root / round_dir(fy, pub.round_no), ignore_errors=True)
                removed.append((fy, pub.round_no))
        if not published_rounds(org_root):
            shutil.rmtree(org_root, ignore_errors=True)
        elif removed:
            rebuild(org_root)
    return removed


def site_zip(org_root: Path, path: Path) -> Path:
    """The office's site as a zip to upload to its own website (round.json and pages, evidence, documents)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    with _locked(org_root), zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for file in sorted(org_root.rglob("*")):
            rel = file.relative_to(org_root)
            if file.is_file() and not any(part.startswith(".") for part in rel.parts):
                zf.write(file, rel.as_posix())
    os.replace(tmp, path)
    return path
