"""Files that must change nothing and say why: a scanned PDF, a password, 30 MB, and decompression bombs."""

from __future__ import annotations

import io
import zipfile
import zlib
from pathlib import Path

import pytest
from PIL import Image

from bot.cli import main
from tests.factory import make_office, open_store
from tests.test_docx_import import build_seed002_docx

TODAY = "2025-11-03"


def scanned_pdf() -> bytes:
    """A page that is only a picture (what a scanner makes): no text layer."""
    out = io.BytesIO()
    Image.new("RGB", (620, 877), "white").save(out, "PDF")
    return out.getvalue()


def _pdf(objects: list[bytes], trailer: bytes) -> bytes:
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n" + trailer + b"\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def password_pdf() -> bytes:
    """A PDF under the standard security handler whose user password is not empty."""
    pages = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
             b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
             b"<< /Filter /Standard /V 1 /R 2 /O <" + b"11" * 32 + b"> /U <" + b"22" * 32 + b"> /P -44 >>"]
    ident = b"<" + b"ab" * 16 + b">"
    return _pdf(pages, b"<< /Size 5 /Root 1 0 R /Encrypt 4 0 R /ID [" + ident + b" " + ident + b"] >>")


def bomb_pdf(megabytes: int = 300) -> bytes:
    """A 300 KB PDF whose one stream inflates to 300 MB."""
    packer = zlib.compressobj(9)
    packed = b"".join(packer.compress(b"\0" * (1 << 20)) for _ in range(megabytes)) + packer.flush()
    stream = b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(packed) + packed + b"\nendstream"
    return _pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>", stream],
                b"<< /Size 4 /Root 1 0 R >>")


def bomb_docx(megabytes: int = 40) -> bytes:
    """A Word file whose document.xml inflates to 40 MB of nothing (40 KB on disk)."""
    src = zipfile.ZipFile(io.BytesIO(build_seed002_docx()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "word/document.xml":
                data = data.replace(b"<w:body>", b"<w:body>" + b" " * (megabytes << 20), 1)
            archive.writestr(info.filename, data)
    return out.getvalue()


CASES = [
    ("scanned.pdf", scanned_pdf, "ภาพสแกน"),
    ("locked.pdf", password_pdf, "มีรหัสผ่าน"),
    ("big.pdf", lambda: b"%PDF-1.4\n" + b"0" * (30 * 1024 * 1024), "ใหญ่เกินไป (30.0 MB)"),
    ("bomb.pdf", bomb_pdf, "ใหญ่เกินไปเมื่อแตก"),
    ("bomb.docx", bomb_docx, "ใหญ่เกินไปเมื่อแตกไฟล์"),
]


@pytest.mark.parametrize(("name", "make", "why"), CASES, ids=[c[0] for c in CASES])
def test_cli_changes_nothing_and_says_why(
    name: str, make: object, why: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    plan = tmp_path / "plan.docx"
    plan.write_bytes(build_seed002_docx())
    assert main(["import", str(plan), "--org", "อบต.ทดสอบ", "--yes", "--data-dir", str(data), "--today", TODAY]) == 0
    repo = open_store(data)
    org = repo.list_orgs()[0]
    before = [(m.id, m.title) for m in repo.list_measures(org.id, 2569)]
    capsys.readouterr()
    bad = tmp_path / name
    bad.write_bytes(make())  # type: ignore[operator]
    assert main(["import", str(bad), "--yes", "--data-dir", str(data), "--today", TODAY]) == 1
    out = capsys.readouterr()
    assert why in out.err and "นำเข้าแล้ว" not in out.out
    assert [(m.id, m.title) for m in open_store(data).list_measures(org.id, 2569)] == before


@pytest.mark.parametrize(("name", "make", "why"), CASES[:2] + CASES[3:], ids=[c[0] for c in CASES[:2] + CASES[3:]])
def test_chat_changes_nothing_and_says_why(name: str, make: object, why: str) -> None:
    office = make_office()
    admin = office.register("ad", "admin")
    admin.send_file(name, make())  # type: ignore[operator]
    assert "นำเข้าไม่ได้" in admin.text and why in admin.text and not admin.buttons()
    assert len(office.repo.list_measures("o1", 2569)) == 4
