"""Issue 18, publishing: only an approved round reaches the public site, whole, valid, linked, without personal data."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import html5lib
import pytest
from PIL import Image

from bot.cli import main
from domain.fiscal import to_arabic_digits
from report.compile import compile_round
from report.options import Signer, load_options, save_options, with_signer
from tests.publish_fixtures import (
    PHONE,
    PRIVATE_FILES,
    Published,
    approve,
    office,
    personal_data_in,
    text_files,
)
from tests.report_fixtures import FY, NOW

TODAY = "2026-04-20"  # after round 6 ended: the round is being approved and published


@pytest.fixture()
def pub(tmp_path: Path) -> Published:
    return office(tmp_path)


def _cli(capsys: pytest.CaptureFixture[str], pub: Published, *args: str) -> tuple[int, str, str]:
    code = main([*args, "--data-dir", str(pub.data), "--today", TODAY])
    out = capsys.readouterr()
    return code, out.out, out.err


class _Links(HTMLParser):
    """Every href and src of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.links += [v for k, v in attrs if k in ("href", "src") and v]


def _links(page: Path) -> list[str]:
    parser = _Links()
    parser.feed(page.read_text("utf-8"))
    return parser.links


def test_an_unapproved_round_is_refused_in_thai_and_nothing_is_written(pub: Published, capsys) -> None:
    code, _, err = _cli(capsys, pub, "publish", "--round", "6")
    assert code == 2 and "ยังไม่ได้รับอนุมัติ" in err
    code, _, err = _cli(capsys, pub, "publish")
    assert code == 2 and "ยังไม่มีรอบที่อนุมัติ" in err
    assert not (pub.data / "site").exists()


def test_a_change_after_approval_is_refused_until_approved_again(pub: Published, capsys) -> None:
    approve(pub)
    pub.fx.answer(3, "สำนักปลัด", "done", "ออกคำสั่งแต่งตั้งคณะทำงานแล้ว")  # after the ปลัด approved
    code, _, err = _cli(capsys, pub, "publish", "--round", "6")
    assert code == 2 and "เปลี่ยนหลังอนุมัติ" in err
    assert not (pub.data / "site").exists()
    approve(pub)
    assert _cli(capsys, pub, "publish", "--round", "6")[0] == 0
    assert "ออกคำสั่งแต่งตั้งคณะทำงานแล้ว" in (pub.site / "2569/r6/index.html").read_text("utf-8")


def test_publish_writes_the_index_the_round_page_the_oit_pages_the_approved_document_and_a_zip(
        pub: Published, capsys, tmp_path: Path) -> None:
    options = with_signer(load_options(pub.fx.repo, pub.fx.org.id), pub.fx.org,
                          Signer("approver", "นายปลัด ลงนามจริง", "ปลัดองค์การบริหารส่วนตำบล"))
    save_options(pub.fx.repo, pub.fx.org.id, options)  # the approver as the report's signature names them
    sha = approve(pub)
    code, out, err = _cli(capsys, pub, "publish", "--zip", str(tmp_path / "site.zip"))
    assert code == 0, err
    assert "oit/2569/o12.html" in out and "oit/2569/o43.html" in out
    site = pub.site
    assert "2569/index.html" in _links(site / "index.html")
    year = _links(site / "2569/index.html")
    assert {"r6/index.html", "../oit/2569/o12.html", "../oit/2569/o43.html"} <= set(year)
    page = (site / "2569/r6/index.html").read_text("utf-8")
    report = compile_round(pub.fx.repo, pub.fx.org.id, FY, 6, NOW)
    for row in report.rows:  # every measure of the round, with the status the report gives it
        assert row.measure.title in page
    assert "ดำเนินการบางส่วน (๑/๓ ส่วนราชการ)" in page  # measure 1: one of three units (domain.status)
    assert "องค์การบริหารส่วนตำบลคำเนียม" in page and "อนุมัติผ่านระบบ itabot เมื่อ ๒๐ มีนาคม ๒๕๖๙" in page
    assert "นายสมชาย ตั้งใจ" in page and "(นายปลัด ลงนามจริง)" in page  # names as the report's signature prints them
    documents = list((site / "2569/r6").glob("report-*"))
    assert [hashlib.sha256(d.read_bytes()).hexdigest() for d in documents] == [sha]  # the very document approved
    oit = (site / "oit/2569/o12.html").read_text("utf-8")
    assert "แสดงความก้าวหน้าการดำเนินงาน" in oit and "เผยแพร่รายงานบนเว็บไซต์" in oit
    assert "รายงานผลรอบ ๖ เดือน" in (site / "oit/2569/o43.html").read_text("utf-8")
    with zipfile.ZipFile(tmp_path / "site.zip") as zf:
        names = set(zf.namelist())
    assert {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()} == names


def test_photos_are_resized_without_exif_and_no_file_outside_the_round_is_published(pub: Published, capsys) -> None:
    approve(pub)
    assert _cli(capsys, pub, "publish", "--round", "6")[0] == 0
    report = compile_round(pub.fx.repo, pub.fx.org.id, FY, 6, NOW)
    shown = {ev.sha256[:16] for row in report.rows for a in row.answers for ev in a.entry.evidence if ev.sha256}
    files = [p for p in pub.site.rglob("*") if p.is_file() and p.parent.name == "files"]
    assert files and {p.stem for p in files} <= shown
    everything = b"".join(p.read_bytes() for p in pub.site.rglob("*") if p.is_file())
    assert not any(secret in everything for secret in PRIVATE_FILES)
    for p in files:
        if p.suffix == ".jpg":
            with Image.open(io.BytesIO(p.read_bytes())) as img:
                assert max(img.size) <= 1280 and not img.getexif()


def test_no_page_or_data_file_holds_a_chat_id_a_line_id_a_phone_number_or_an_officer(pub: Published, capsys) -> None:
    approve(pub)
    assert _cli(capsys, pub, "publish")[0] == 0
    pages = text_files(pub.site)
    assert len(pages) >= 6
    leaks = {str(p.relative_to(pub.site)): personal_data_in(text) for p, text in pages.items()}
    assert not any(leaks.values()), leaks
    assert "[ซ่อนข้อมูลส่วนบุคคล]" in pages[pub.site / "2569/r6/index.html"]  # the answer's text was kept, masked
    typed = next(e.summary for e in pub.fx.repo.list_reports(pub.fx.org.id, FY) if PHONE in e.summary)
    assert len(personal_data_in(typed)) >= 4  # the scan does see the phone numbers and ids as typed


def test_every_internal_link_resolves_to_a_published_file(pub: Published, capsys) -> None:
    approve(pub)
    assert _cli(capsys, pub, "publish")[0] == 0
    broken, outside = [], []
    for page in pub.site.rglob("*.html"):
        for link in _links(page):
            parts = urlsplit(link)
            if parts.scheme in ("http", "https"):
                outside.append(link)
                continue
            assert not parts.scheme and not parts.netloc, link
            if not parts.path:
                continue
            target = (page.parent / unquote(parts.path)).resolve()
            if not (target.is_file() and target.is_relative_to(pub.site.resolve())):
                broken.append(f"{page.relative_to(pub.site)} → {link}")
    assert not broken, broken
    assert "https://example.go.th/manual" in outside


def test_pages_are_valid_html5_in_thai_for_phones_and_print(pub: Published, capsys) -> None:
    approve(pub)
    assert _cli(capsys, pub, "publish")[0] == 0
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    pages = sorted(pub.site.rglob("*.html"))
    assert len(pages) == 5  # front page, year, round, o12, o43
    for page in pages:
        doc = parser.parse(page.read_text("utf-8"))  # raises on any parse error
        assert doc.get("lang") == "th"
        assert doc.find(".//meta[@name='viewport']") is not None
        assert doc.find(".//h1") is not None and doc.find(".//main") is not None
    css = (pub.site / "site.css").read_text("utf-8")
    assert "@media print" in css and "@media (max-width" in css
    round_doc = parser.parse((pub.site / "2569/r6/index.html").read_text("utf-8"))
    assert round_doc.find(".//table/caption") is not None and round_doc.find(".//th[@scope='col']") is not None
    alts = [img.get("alt") for img in round_doc.iter("img")]
    assert alts and all(alts) and "ประชุมคณะทำงานจัดทำรายงาน" in alts  # the caption is the alt text


def test_unpublish_takes_a_round_and_then_the_whole_site_down(pub: Published, capsys) -> None:
    pub.fx.answer(1, "กองช่าง", "done", "แจ้งเวียนคู่มือ", round_no=3)
    approve(pub, 3)
    approve(pub, 6)
    assert _cli(capsys, pub, "publish")[0] == 0
    assert {"r3/index.html", "r6/index.html"} <= set(_links(pub.site / "2569/index.html"))
    code, out, _ = _cli(capsys, pub, "unpublish", "--round", "3")
    assert code == 0 and "รอบ 3" in out
    assert not (pub.site / "2569/r3").exists() and "r3/index.html" not in _links(pub.site / "2569/index.html")
    assert (pub.site / "2569/r6/index.html").is_file()
    code, _, err = _cli(capsys, pub, "unpublish")
    assert code == 2 and "--all" in err and (pub.site / "2569/r6/index.html").is_file()  # nothing said: nothing removed
    assert _cli(capsys, pub, "unpublish", "--round", "6")[0] == 0
    assert not pub.site.exists()
    code, _, err = _cli(capsys, pub, "unpublish", "--round", "6")
    assert code == 1 and "ไม่มีรอบ" in err


def test_phone_numbers_and_ids_are_masked_but_dates_budgets_and_document_numbers_are_kept() -> None:
    from report.site_model import MASK, scrub

    kept = ["งบประมาณ 2,500,000 บาท", "วันที่ 12/01/2569", "ที่ สร 0023.4/1234", "ปีงบประมาณ ๒๕๖๙ รอบ ๖ เดือน",
            "https://www.example.go.th/news?id=12345"]
    for text in kept:
        assert scrub(text) == text
    for text in ("โทร 02-123-4567", "มือถือ +66 81 234 5678", "โทร ๐๘๑-๒๓๔-๕๖๗๘", "0812345678",
                 "ไลน์ U" + "a1" * 16, "แชต 5551234567"):
        masked = scrub(text, frozenset({"5551234567"}))
        assert MASK in masked and not re.search(r"\d{3}", to_arabic_digits(masked)), (text, masked)


def test_a_web_page_sent_as_evidence_is_published_only_as_a_download(pub: Published, capsys) -> None:
    page = pub.fx.store.put(b"<script>alert(1)</script>", "page.html", "text/html")
    pub.fx.answer(2, "กองคลัง", "done", "เผยแพร่แผนการจัดซื้อจัดจ้าง", evidence=[page])
    approve(pub)
    assert _cli(capsys, pub, "publish", "--round", "6")[0] == 0
    files = sorted(p.name for p in (pub.site / "2569/r6/files").iterdir())
    assert f"{page.sha256[:16]}.bin" in files and not [f for f in files if f.endswith((".html", ".htm", ".svg"))]


def test_publish_into_a_folder_of_ones_choice_and_typing_mistakes_are_refused(pub: Published, capsys,
                                                                             tmp_path: Path) -> None:
    approve(pub)
    out = tmp_path / "www" / "ita"
    code, printed, _ = _cli(capsys, pub, "publish", "--round", "๖", "--out", str(out))
    assert code == 0 and str(out / "oit/2569/o12.html") in printed
    assert sorted(p.name for p in out.parent.iterdir()) == ["ita"] and not (pub.data / "site").exists()
    code, _, err = _cli(capsys, pub, "publish", "--fiscal-year", "69")
    assert code == 2 and "เช่น 2569" in err
    code, _, err = _cli(capsys, pub, "publish", "--round", "7")
    assert code == 2 and "ไม่รู้จักรอบ" in err
    assert _cli(capsys, pub, "unpublish", "--all", "--out", str(out))[0] == 0 and not out.exists()
