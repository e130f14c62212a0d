"""Evidence that holds up: dated in the year, the same photo noticed again, links never probe the LAN."""

from __future__ import annotations

import asyncio

from aiohttp import web

from bot.linkcheck import LinkChecker
from domain.evidence_rules import DATE_AFTER_ROUND, DATE_BEFORE_YEAR, ReuseIndex, coverage, date_flag
from storage.evidence import EvidenceStore
from storage.models import ReportEntry
from tests.photos import photo as _photo
from tests.photos import resized as _resized


def test_last_years_photo_is_flagged_by_its_exif_date() -> None:
    store = EvidenceStore(None)
    old = store.put(_photo(1, taken="2024:08:15 10:30:00"), "IMG_0001.jpg", "image/jpeg")
    assert old.taken_on == "2024-08-15"
    assert date_flag(old.taken_on, 2569, 6) == DATE_BEFORE_YEAR  # FY 2569 began 1 Oct 2025
    fresh = store.put(_photo(2, taken="2026:01:12 09:00:00"), "IMG_0002.jpg", "image/jpeg")
    assert date_flag(fresh.taken_on, 2569, 6) is None
    assert date_flag(fresh.taken_on, 2569, 3) == DATE_AFTER_ROUND  # round 3 ended 31 Dec 2025
    assert date_flag("", 2569, 6) is None  # no date: asked, not flagged


def test_pdf_creation_date_is_read() -> None:
    pdf = b"%PDF-1.4\n1 0 obj << /CreationDate (D:20250301120000+07'00') >> endobj\n%%EOF"
    ev = EvidenceStore(None).put(pdf, "คำสั่ง.pdf", "application/pdf")
    assert ev.taken_on == "2025-03-01"


def test_same_photo_reencoded_and_resized_is_flagged_across_years() -> None:
    store = EvidenceStore(None)
    original = _photo(7)
    first = store.put(original, "training.jpg", "image/jpeg")
    earlier = ReportEntry("r1", "o", 2568, "m3", 12, "u1", "done", evidence=[first], created_at="2025-09-01T10:00:00+07:00")
    other = ReportEntry("r2", "o", 2568, "m4", 12, "u1", "done",
                        evidence=[store.put(_photo(8), "other.jpg", "image/jpeg")], created_at="2025-09-02T10:00:00+07:00")
    index = ReuseIndex.from_entries([earlier, other])
    again = store.put(_resized(original, 0.5, 60), "photo_AgAD.jpg", "image/jpeg")
    assert again.sha256 != first.sha256  # not the same bytes
    hits = index.suspicious(again, "m3", 2569)
    assert [h.prior.entry_id for h in hits] == ["r1"] and not hits[0].exact
    unrelated = store.put(_photo(99), "new.jpg", "image/jpeg")
    assert index.suspicious(unrelated, "m3", 2569) == []
    # the same file for another measure in the same year is flagged too; a correction of the same answer is not
    same_file = store.put(original, "training-copy.jpg", "image/jpeg")
    assert [h.exact for h in index.suspicious(same_file, "m9", 2568)] == [True]
    assert index.suspicious(first, "m3", 2568) == []


def test_requirements_covered_three_of_four_shows_one_cross() -> None:
    store = EvidenceStore(None)
    a, b = store.link("https://example.go.th/report"), store.put(b"%PDF-1.4 x", "budget.pdf", "application/pdf")
    reqs = ["ผลการดำเนินงาน", "ผลการใช้จ่ายงบประมาณ", "ปัญหา อุปสรรค", "ข้อเสนอแนะ"]
    cov = coverage(reqs, {reqs[0]: [a.id], reqs[1]: [b.id], reqs[2]: [a.id]}, [a, b])
    assert cov.missing == ["ข้อเสนอแนะ"]
    assert cov.marks() == ["✓ ผลการดำเนินงาน", "✓ ผลการใช้จ่ายงบประมาณ", "✓ ปัญหา อุปสรรค", "✗ ข้อเสนอแนะ"]
    # removing the evidence that covered a requirement uncovers it
    assert coverage(reqs, {reqs[0]: [a.id], reqs[1]: [b.id], reqs[2]: [a.id]}, [b]).missing == [reqs[0], reqs[2], reqs[3]]


async def _server(hits: list[str]) -> tuple[web.AppRunner, int]:
    async def page(request: web.Request) -> web.Response:
        hits.append(request.path)
        if request.path == "/hop":
            raise web.HTTPFound("http://127.0.0.1:1/admin")
        return web.Response(text="<html><title> ประกาศ อบต. </title></html>", content_type="text/html")

    app = web.Application()
    app.router.add_get("/{tail:.*}", page)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, port


def test_links_to_private_addresses_are_never_fetched() -> None:
    async def scenario() -> None:
        hits: list[str] = []
        runner, port = await _server(hits)
        try:
            checker = LinkChecker(timeout=3)
            for url in (f"http://127.0.0.1:{port}/secret", f"http://localhost:{port}/secret",
                        "http://10.0.0.1/", "http://192.168.1.1/", "http://169.254.169.254/latest/meta-data",
                        "http://[::1]/"):
                result = await checker.check(url)
                assert not result.ok and result.error == "private address refused", (url, result)
            ftp = await checker.check("ftp://example.go.th/file")
            assert not ftp.ok and ftp.error == "not a web address"
            assert hits == []
            # the checker itself works (private addresses allowed only in tests): status and title
            local = LinkChecker(timeout=3, allow_private=True)
            page = await local.check(f"http://127.0.0.1:{port}/notice")
            assert page.ok and page.status == 200 and page.title == "ประกาศ อบต."
        finally:
            await runner.cleanup()

    asyncio.run(scenario())
