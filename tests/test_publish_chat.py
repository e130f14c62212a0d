"""Issue 18, publishing from chat (/publish, /unpublish for admins) and the bot's web server serving /site/."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from datetime import datetime
from pathlib import Path

import aiohttp
import pytest

from bot.cli import main
from bot.web import WebServer, add_site_routes
from domain.review import answers_digest
from handlers import publish_flow
from storage.clock import BANGKOK
from storage.models import Approval, ReportEntry, new_id, now_iso
from tests.factory import Office, make_office
from tests.publish_fixtures import approve
from tests.publish_fixtures import office as published_office
from tests.test_run_platforms import clean_env
from tests.test_telegram_run import free_port

THAI = re.compile(r"[\u0e00-\u0e7f]")


@pytest.fixture()
def office(tmp_path: Path) -> Office:
    """The factory office on disk (exports on), with กองคลัง's answer to measure 2 in round 6."""
    office = make_office(tmp_path / "data", exports=True)
    office.repo.add_report(ReportEntry(
        id=new_id("r"), org_id="o1", fiscal_year=2569, measure_id="m2", round=6, unit_id="u1", status="done",
        summary="เผยแพร่แผนการใช้จ่ายงบประมาณ", officer_id="x", created_at=now_iso(office.clock.now()),
    ))
    return office


def _approve(office: Office, round_no: int = 6) -> None:
    office.repo.add_approval(Approval(
        org_id="o1", fiscal_year=2569, round_no=round_no, approver_id="x", approver_name="นายปลัด ใจดี",
        platform="test", account="admin1", at=now_iso(datetime(2026, 4, 5, 9, 0, tzinfo=BANGKOK)),
        document_sha256="", answers_digest=answers_digest(office.repo.list_reports("o1", 2569), round_no),
    ))


def test_admins_publish_an_approved_round_and_get_the_addresses_and_the_zip(office: Office, tmp_path: Path) -> None:
    head = office.register("head1", "head", "กองคลัง")
    assert head.say("/publish")[0].text == "คำสั่งนี้สำหรับผู้ดูแลระบบเท่านั้น"
    admin = office.register("admin1", "admin")
    assert "ยังไม่มีรอบที่อนุมัติแล้ว" in admin.say("/publish")[0].text
    assert "ยังไม่ได้รับอนุมัติ" in admin.say("/publish 6")[0].text
    assert admin.say("/publish รอบสิบ")[0].text.startswith("ไม่รู้จักรอบ \"รอบสิบ\"")
    site = tmp_path / "data" / "site" / "o1"
    assert not site.exists()
    _approve(office)
    office.engine.site_url = "https://ita.example.go.th/site"
    reply = admin.say("/publish")[0]
    assert "เผยแพร่รายงานรอบ 6 เดือน ปีงบประมาณ 2569 แล้ว" in reply.text
    assert "https://ita.example.go.th/site/o1/2569/r6/index.html" in reply.text
    assert "https://ita.example.go.th/site/o1/oit/2569/o43.html" in reply.text
    assert [f.name for f in reply.files] == ["site-o1.zip"] and os.path.getsize(reply.files[0].path) > 1000
    assert "เผยแพร่แผนการใช้จ่ายงบประมาณ" in (site / "2569/r6/index.html").read_text("utf-8")
    assert "นำรายงานรอบ 6 เดือน" in admin.say("/unpublish 6")[0].text and not site.exists()
    assert not Path(reply.files[0].path).exists()  # the zip that still held the round is gone too
    assert "ไม่ได้เผยแพร่อยู่" in admin.say("/unpublish 6")[0].text


def test_an_answer_changed_after_approval_is_not_published_from_chat(office: Office, tmp_path: Path) -> None:
    admin = office.register("admin1", "admin")
    _approve(office)
    office.repo.add_report(ReportEntry(
        id=new_id("r"), org_id="o1", fiscal_year=2569, measure_id="m2", round=6, unit_id="u1", status="not_done",
        reason="ยกเลิก", officer_id="x", created_at=now_iso(office.clock.now()), revision=2,
    ))
    assert "เปลี่ยนหลังอนุมัติ" in admin.say("/publish 6")[0].text
    assert "PUBLIC_BASE_URL" not in admin.text and not (tmp_path / "data" / "site").exists()


def test_publishing_answers_in_english_without_thai(office: Office) -> None:
    admin = office.register("admin1", "admin")
    admin.say("/lang en")
    for command in ("/publish", "/publish 6", "/unpublish", "/unpublish 6"):
        text = admin.say(command)[0].text
        assert text and not THAI.search(text), (command, text)
    _approve(office)
    reply = admin.say("/publish 6")[0]
    assert "is published" in reply.text and "PUBLIC_BASE_URL is not set" in reply.text and not THAI.search(reply.text)


async def test_the_site_is_served_under_site_and_nothing_else_is(tmp_path: Path) -> None:
    root = tmp_path / "site"
    (root / "o1" / "2569").mkdir(parents=True)
    (root / "o1" / "index.html").write_text("<!DOCTYPE html><title>ok</title>หน้าแรก", "utf-8")
    (root / "o1" / "2569" / "index.html").write_text("ปี", "utf-8")
    (root / "o1" / "2569" / "report.docx").write_bytes(b"PK docx")
    (root / "o1" / ".new-123").mkdir()
    (root / "o1" / ".new-123" / "index.html").write_text("half written", "utf-8")
    (root / "o1" / "leak.html").symlink_to(tmp_path / "secret.txt")
    (tmp_path / "secret.txt").write_text("secret", "utf-8")
    server = WebServer(port=0)
    add_site_routes(server, root)
    await server.start()
    try:
        async with aiohttp.ClientSession() as http:
            async def get(path: str) -> tuple[int, dict[str, str], str]:
                async with http.get(server.url + path, allow_redirects=False) as resp:
                    return resp.status, dict(resp.headers), await resp.text(errors="replace")

            status, headers, body = await get("/site/o1/")
            assert status == 200 and "หน้าแรก" in body and headers["Content-Type"].startswith("text/html")
            assert "default-src 'none'" in headers["Content-Security-Policy"] and headers["X-Content-Type-Options"] == "nosniff"
            assert (await get("/site/o1"))[1]["Location"] == "/site/o1/"
            assert (await get("/site/o1/2569"))[1]["Location"] == "/site/o1/2569/"
            assert (await get("/site/o1/2569/"))[2] == "ปี"
            status, headers, _ = await get("/site/o1/2569/report.docx")
            assert status == 200 and headers["Content-Disposition"].startswith("attachment")
            for bad in ("/site/o1/.new-123/index.html", "/site/o1/leak.html", "/site/o1/%2e%2e/secret.txt",
                        "/site/o1/2569/%2e%2e/%2e%2e/secret.txt", "/site/..%2fsecret.txt/", "/site/o2/", "/site/o1/nope.html"):
                status, headers, body = await get(bad)  # ".." is resolved by the client: at most a redirect
                assert status in (302, 404) and "secret" not in body, bad  # within /site/, to a 404
                assert status == 404 or headers["Location"].startswith("/site/"), bad
            async with http.post(server.url + "/site/o1/") as resp:
                assert resp.status == 405
    finally:
        await server.stop()


def test_a_site_too_large_for_chat_is_not_attached_but_its_place_is_named(office: Office, monkeypatch) -> None:
    monkeypatch.setattr(publish_flow, "CHAT_FILE_MAX", 100)  # any real zip is larger than 100 bytes
    admin = office.register("admin1", "admin")
    _approve(office)
    reply = admin.say("/publish 6")[0]
    assert not reply.files and "ใหญ่เกินกว่าจะส่งทางแชต" in reply.text and "site-o1.zip" in reply.text


async def test_itabot_run_serves_what_itabot_publish_wrote_under_public_base_url(tmp_path: Path) -> None:
    pub = published_office(tmp_path)
    approve(pub)
    assert main(["publish", "--data-dir", str(pub.data), "--today", "2026-04-20"]) == 0
    port = free_port()
    env = {**clean_env(), "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", "--no-chat", "--data-dir", str(pub.data), "--port", str(port),
        cwd=tmp_path, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(300):
                try:
                    async with http.get(f"http://127.0.0.1:{port}/site/org1/oit/2569/o12.html") as resp:
                        status, body = resp.status, await resp.text()
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.1)
            else:
                raise AssertionError("itabot run never answered")
        assert status == 200 and "o12 (ข้อ ๐๑๒)" in body
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), timeout=20) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
