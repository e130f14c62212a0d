"""Issue 18, accessibility: the published round and OIT pages in headless Chromium at phone width, checked by axe-core.

Needs the Debian package `chromium` and `npm` (axe-core@4 is installed into a cache folder on first use);
screenshots go to the test's tmp_path (pytest keeps the last runs), never into the repository.
"""

from __future__ import annotations

from pathlib import Path

from bot.cli import main
from bot.web import WebServer, add_site_routes
from report.fonts import fontconfig_env
from tests.browser import Chromium, axe_source, blank
from tests.publish_fixtures import approve, office
from tests.tools import require_tool

PAGES = {  # screenshot name: path under the office's site
    "round": "2569/r6/index.html",
    "oit-o12": "oit/2569/o12.html",
    "oit-o43": "oit/2569/o43.html",
    "year": "2569/index.html",
    "front": "",
}
IMAGES = {"round": 2, "oit-o12": 1}  # the two photos of round 6; o12's answer has one
AXE_RUN = ("axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map("
           "v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 3)})))")


async def test_round_and_oit_pages_render_on_a_phone_and_pass_axe(tmp_path: Path) -> None:
    exe = require_tool("chromium", "chromium-browser", package="chromium")
    axe = axe_source(require_tool("npm", package="npm"))
    pub = office(tmp_path)
    approve(pub)
    assert main(["publish", "--data-dir", str(pub.data), "--today", "2026-04-20"]) == 0  # `itabot publish`
    server = WebServer(port=0)
    add_site_routes(server, pub.data / "site")
    await server.start()
    env = fontconfig_env(tmp_path / "fonts")  # Sarabun for Thai, as a phone would have a Thai font
    try:
        async with Chromium(exe, tmp_path / "profile", env) as browser:
            for name, rel in PAGES.items():
                await browser.open(f"{server.url}/site/{pub.fx.org.id}/{rel}")
                loaded = await browser.evaluate(  # photos are lazy on phones: load them all, each must decode
                    "Promise.all([...document.images].map(i => { i.loading = 'eager';"
                    " return i.decode().then(() => i.naturalWidth > 0, () => false); }))")
                assert all(loaded), (name, loaded)
                shot = await browser.screenshot(tmp_path / f"{name}.png")
                assert not blank(shot), f"{name}: the screenshot is blank"
                state = await browser.evaluate(
                    "({lang: document.documentElement.lang, styled: getComputedStyle(document.body).maxWidth,"
                    " wide: document.documentElement.scrollWidth - window.innerWidth,"
                    " images: document.images.length,"
                    " h1: document.querySelectorAll('h1').length})")
                assert state == {"lang": "th", "styled": "896px", "wide": 0, "images": IMAGES.get(name, 0), "h1": 1}, (name, state)
                await browser.evaluate(axe)
                violations = await browser.evaluate(AXE_RUN)
                serious = [v for v in violations if v["impact"] in ("serious", "critical")]
                assert not serious, (name, serious)
            await browser.open(f"{server.url}/site/{pub.fx.org.id}/{PAGES['round']}")
            hidden = await browser.print_pdf(tmp_path / "round-print.pdf")
            assert hidden == {"nav": "none", "skip": "none"}  # print CSS: no navigation on paper
            printed = (tmp_path / "round-print.pdf").read_bytes()
            assert printed.startswith(b"%PDF") and printed.count(b"/Type /Page") - printed.count(b"/Type /Pages") >= 2
    finally:
        await server.stop()
    assert (tmp_path / "round.png").stat().st_size > 10_000
