"""`itabot backup`: a consistent archive of the data directory, taken while writers are held off."""

from __future__ import annotations

import argparse
import os
import tarfile
from pathlib import Path

from bot.config import make_clock, resolve_data_dir
from storage.atomic import private_mkdir
from storage.tinydb_repo import TinyRepository

from . import Command

__all__ = ["COMMAND", "backup"]


def backup(data_dir: Path, out: Path) -> Path:
    """Archive every file under data_dir (no temp files, no earlier backups) under the write lock."""
    repo = TinyRepository(data_dir)  # opening validates every database file first
    private_mkdir(out.parent)
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # personal data and the link secret
    os.fchmod(fd, 0o600)  # an existing archive keeps its old mode otherwise
    with repo.write_lock(), os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
        for path in sorted(data_dir.rglob("*")):
            rel = path.relative_to(data_dir)
            if path.is_dir() or path.name.startswith(".") or rel.parts[0] == "backups" or path.resolve() == out.resolve():
                continue
            tar.add(path, arcname=str(Path("data") / rel))
    return out


def _add(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", help="ไฟล์ปลายทาง (.tar.gz) / archive path")


def _run(args: argparse.Namespace) -> int:
    data_dir = resolve_data_dir(args.data_dir)
    if not data_dir.exists():
        print(f"ไม่พบโฟลเดอร์ข้อมูล {data_dir}")
        return 2
    stamp = make_clock(args.today).now().strftime("%Y%m%d-%H%M%S")
    out = Path(args.out) if args.out else data_dir / "backups" / f"itabot-{stamp}.tar.gz"
    backup(data_dir, out)
    print(f"สำรองข้อมูลแล้ว: {out}")
    return 0


COMMAND = Command("backup", "สำรองข้อมูลทั้งหมดเป็นไฟล์ .tar.gz / archive the data directory", _add, _run, order=80)
