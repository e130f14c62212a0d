"""Issue 17: evidence links are checked once in the background, never into the server's own network, and the
report marks the ones that were broken when last checked."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from aiohttp import web

from bot.config import load_settings
from bot.link_watch import LinkWatch, unchecked_links
from bot.linkcheck import LinkChecker, Lookup, is_public_address
from bot.outbox import Outbox
from bot.runner import build_components
from bot.wiring import Services
from report.compile import compile_round
from report.docx import render_docx
from report.text import summary_text
from report.xlsx import EVIDENCE_SHEET, render_xlsx
from storage.link_checks import link_check
from storage.models import STATUS_DONE, Evidence, ReportEntry
from tests.docx_read import open_docx
from tests.factory import Office, make_office

Hits = list[str]


def fake_dns(names: dict[str, list[str]]) -> Lookup:
    """A resolver seam: each name answers with the given addresses."""

    async def lookup(host: str, port: int, family: socket.AddressFamily) -> list[Any]:
        return [(socket.AF_INET6 if ":" in ip else socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port))
                for ip in names[host]]

    return lookup


def only_this_server(ip: str) -> bool:
    """The test seam: the guard as in production, plus the one local test server."""
    return ip == "127.0.0.1" or is_public_address(ip)


async def _server(hits: Hits, port_box: list[int]) -> web.AppRunner:
    async def page(request: web.Request) -> web.Response:
        hits.append(request.path)
        if request.path == "/to-lan":
            raise web.HTTPFound("http://10.0.0.1/admin")
        if request.path == "/to-ula":
            raise web.HTTPFound("http://[fd00::1]/admin")
        if request.path == "/to-notice":
            raise web.HTTPFound(f"http://127.0.0.1:{port_box[0]}/notice")
        if request.path == "/tis":
            body = "<html><head><meta charset=windows-874><title>ประกาศ อบต.</title>".encode("cp874")
            return web.Response(body=body, content_type="text/html")
        if request.path == "/missing":
            return web.Response(status=404, text="<title>ไม่พบหน้า</title>", content_type="text/html")
        return web.Response(text="<html><title> ประกาศ อบต. </title></html>", content_type="text/html")

    app = web.Application()
    app.router.add_get("/{tail:.*}", page)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port_box.append(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
    return runner


def with_server(scenario: Callable[[Hits, int], Awaitable[None]]) -> None:
    async def main() -> None:
        hits: Hits = []
        box: list[int] = []
        runner = await _server(hits, box)
        try:
            await scenario(hits, box[0])
        finally:
            await runner.cleanup()

    asyncio.run(main())


def test_the_guard_refuses_local_names_and_every_private_hop() -> None:
    async def scenario(hits: Hits, port: int) -> None:
        default = LinkChecker(timeout=3)
        for url in (f"http://127.0.0.1:{port}/notice", f"http://localhost:{port}/notice",
                    f"http://[::ffff:127.0.0.1]:{port}/notice", "http://10.0.0.1/", "http://[fd00::1]/",
                    "http://[fe80::1]/", "http://100.64.0.1/"):
            result = await default.check(url)
            assert not result.ok and result.error == "private address refused", (url, result)
        # a public-looking name whose DNS answer is this machine (or the LAN) is refused after the lookup
        dns = LinkChecker(timeout=3, lookup=fake_dns({"intranet.example.go.th": ["127.0.0.1", "fd00::5"]}))
        result = await dns.check(f"http://intranet.example.go.th:{port}/notice")
        assert not result.ok and result.error == "private address refused", result
        assert hits == []  # the local server never saw a request
        seam = LinkChecker(timeout=3, allowed=only_this_server)
        for hop in ("/to-lan", "/to-ula"):
            result = await seam.check(f"http://127.0.0.1:{port}{hop}")
            assert not result.ok and result.error == "private address refused" and result.final
        assert hits == ["/to-lan", "/to-ula"]  # the first hop only; the private target was never tried
        followed = await seam.check(f"http://127.0.0.1:{port}/to-notice")
        assert followed.ok and followed.final_url.endswith("/notice") and followed.title == "ประกาศ อบต."
        thai_page = await seam.check(f"http://127.0.0.1:{port}/tis")  # an older site, in windows-874
        assert thai_page.title == "ประกาศ อบต."

    with_server(scenario)


def _services(office: Office) -> Services:
    return Services(repo=office.repo, evidence=office.evidence, clock=office.clock, engine=office.engine,
                    data_dir=None)


def _report_links(office: Office, *urls: str) -> None:
    """กองคลัง's officer reports measure 2 with these links in the chat."""
    chat = office.register("u1", "officer", "กองคลัง")
    chat.say("/report")
    chat.press("2. เผยแพร่")
    chat.press("ดำเนินการ")
    chat.say("ประกาศบนเว็บไซต์")
    chat.say("/skip")
    chat.say(" และ ".join(urls))
    chat.press("เสร็จสิ้น")
    chat.press("บันทึก")
    assert "บันทึกแล้ว ✅" in chat.text


def test_a_broken_link_is_marked_in_word_excel_and_the_summary(tmp_path: Path) -> None:
    office = make_office()

    async def scenario(hits: Hits, port: int) -> None:
        watch = LinkWatch(_services(office), LinkChecker(timeout=3, allowed=only_this_server))
        await watch.start()
        try:
            _report_links(office, f"http://127.0.0.1:{port}/missing", f"http://127.0.0.1:{port}/notice")
            await asyncio.wait_for(watch.idle(), 10)
        finally:
            await watch.stop()
        assert sorted(hits) == ["/missing", "/notice"]  # each checked once

    with_server(scenario)
    entry = office.repo.list_reports(office.org.id, 2569, measure_id="m2")[-1]
    broken, fine = entry.evidence
    stored = link_check(office.repo, office.org.id, broken.id)
    assert stored is not None and stored["status"] == 404 and not stored["ok"]
    good = link_check(office.repo, office.org.id, fine.id)
    assert good is not None and good["ok"] and good["title"] == "ประกาศ อบต."

    report = compile_round(office.repo, office.org.id, 2569, 6, office.clock.now())
    doc = open_docx(render_docx(report, tmp_path / "r.docx", office.evidence, "arabic"))
    cell = next(r.cells[-1].text for r in doc.tables[0].rows[1:] if r.cells[0].text == "2")
    lines = cell.splitlines()
    at = next(i for i, line in enumerate(lines) if line.endswith("/missing"))
    assert lines[at + 1] == "⚠ ลิงก์เสีย (HTTP 404) ตรวจเมื่อ 10 ก.พ. 2569"
    assert cell.count("⚠ ลิงก์เสีย") == 1  # the working link is not marked
    thai = open_docx(render_docx(report, tmp_path / "th.docx", office.evidence, "thai"))
    thai_cell = next(r.cells[-1].text for r in thai.tables[0].rows[1:] if r.cells[0].text == "๒")
    assert "⚠ ลิงก์เสีย (HTTP ๔๐๔) ตรวจเมื่อ ๑๐ ก.พ. ๒๕๖๙" in thai_cell  # the office's digits, as the rest

    ws = openpyxl.load_workbook(render_xlsx(report, tmp_path / "r.xlsx", office.evidence, "arabic"))[EVIDENCE_SHEET]
    note = [c.value for c in ws[1]].index("ข้อสังเกต")
    marks = {r[4]: r[note] for r in ws.iter_rows(min_row=2, values_only=True)}
    assert marks[broken.url] == "⚠ ลิงก์เสีย (HTTP 404) ตรวจเมื่อ 10 ก.พ. 2569" and not marks[fine.url]

    text = summary_text(report)
    assert f"🔗 {broken.url} ⚠ ลิงก์เสีย (HTTP 404)" in text and f"🔗 {fine.url}\n" in text + "\n"


def test_links_saved_before_a_restart_are_checked_at_start_and_only_once() -> None:
    office = make_office()

    async def scenario(hits: Hits, port: int) -> None:
        link = Evidence(id="e-old", kind="url", url=f"http://127.0.0.1:{port}/notice")
        office.repo.add_report(ReportEntry("r1", office.org.id, 2569, "m2", 6, "u1", STATUS_DONE, evidence=[link]))
        assert [j[1] for j in unchecked_links(office.repo)] == ["e-old"]
        for _ in range(2):  # two starts: the second finds the result stored and fetches nothing
            watch = LinkWatch(_services(office), LinkChecker(timeout=3, allowed=only_this_server))
            await watch.start()
            await asyncio.wait_for(watch.idle(), 10)
            await watch.stop()
        assert hits == ["/notice"]
        assert unchecked_links(office.repo) == []

    with_server(scenario)


def test_a_private_link_reported_in_chat_is_never_fetched_by_the_background_check(tmp_path: Path) -> None:
    office = make_office()

    async def scenario(hits: Hits, port: int) -> None:
        watch = LinkWatch(_services(office))  # the production guard
        await watch.start()
        try:
            _report_links(office, f"http://127.0.0.1:{port}/secret", "http://10.0.0.1/router")
            await asyncio.wait_for(watch.idle(), 10)
        finally:
            await watch.stop()
        assert hits == []

    with_server(scenario)
    report = compile_round(office.repo, office.org.id, 2569, 6, office.clock.now())
    assert summary_text(report).count("⚠ ลิงก์ชี้ไปเครือข่ายภายใน") == 2


def test_an_unanswered_check_is_not_called_broken_and_is_tried_again() -> None:
    office = make_office()

    async def scenario(hits: Hits, port: int) -> None:
        dead = Evidence(id="e-dead", kind="url", url="http://127.0.0.1:1/nothing-listens")
        office.repo.add_report(ReportEntry("r1", office.org.id, 2569, "m2", 6, "u1", STATUS_DONE, evidence=[dead]))
        watch = LinkWatch(_services(office), LinkChecker(timeout=3, allowed=only_this_server))
        await watch.start()
        await asyncio.wait_for(watch.idle(), 10)
        await watch.stop()

    with_server(scenario)
    stored = link_check(office.repo, office.org.id, "e-dead")
    assert stored is not None and not stored["final"] and stored["attempts"] == 1
    assert [j[1] for j in unchecked_links(office.repo)] == ["e-dead"]  # the next start tries again
    report = compile_round(office.repo, office.org.id, 2569, 6, office.clock.now())
    assert "⚠" not in summary_text(report)


@pytest.mark.parametrize(("value", "on"), [("0", False), ("off", False), ("1", True), ("", True)])
def test_itabot_link_check_0_turns_the_background_check_off(monkeypatch: pytest.MonkeyPatch, value: str,
                                                            on: bool) -> None:
    monkeypatch.setenv("ITABOT_LINK_CHECK", value)
    settings = load_settings(env_file=None)
    office = make_office()
    components = build_components(settings, _services(office), Outbox())
    try:
        assert any(isinstance(c, LinkWatch) for c in components) is on
    finally:
        for c in components:
            pool = getattr(c, "pool", None)
            if pool is not None:
                pool.shutdown()
