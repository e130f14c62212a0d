"""The published site's pages: the office's index, a fiscal year's index, a round's page and an OIT item's page.

Every link is relative, so the same files work served under /site/<org>/, opened from a folder, or uploaded
to the office's own website from the zip. Headings and tables are semantic, photos carry their caption as
alt text (axe-core checks this in tests/test_publish_browser.py).
"""

from __future__ import annotations

from domain.fiscal import digits as dg

from .site_html import Markup, Node, el, join, page
from .site_model import APPROVER, PubAnswer, PubEvidence, PubMeasure, PubRound
from .text import TITLE

__all__ = [
    "PROGRESS_ITEM",
    "org_index",
    "oit_code_label",
    "oit_page",
    "round_dir",
    "round_page",
    "year_index",
]

PROGRESS_ITEM = "o43"  # OIT 2566: การดำเนินการตามมาตรการส่งเสริมคุณธรรมฯ — the progress report itself
SITE_NAME = "รายงานผลการดำเนินการตามมาตรการส่งเสริมคุณธรรมและความโปร่งใส"


def round_dir(fiscal_year: int, round_no: int) -> str:
    """"2569/r6": a round's folder under the office's site."""
    return f"{fiscal_year}/r{round_no}"


def oit_code_label(code: str, style: str = "thai") -> str:
    """"o12" → "o12 (ข้อ ๐๑๒)": the code and the way the OIT form writes it."""
    num = code[1:]
    return f"{code} (ข้อ {dg(num.zfill(3), style)})" if num.isdigit() else code


def _crumbs(items: list[tuple[str, str | None]]) -> Markup:
    """Breadcrumbs: (label, href); the current page has no href."""
    lis = [el("li", None, el("a", {"href": href}, label) if href else el("span", {"aria-current": "page"}, label))
           for label, href in items]
    return el("nav", {"aria-label": "ลำดับหน้า"}, el("ol", None, lis))


def _header(org: str, crumbs: list[tuple[str, str | None]]) -> Markup:
    return join(el("p", {"class": "org"}, org), _crumbs(crumbs))


def _footer(published_on: str) -> Markup:
    return el("p", None, f"เผยแพร่เมื่อ {published_on} · จัดทำด้วยระบบรายงานผล itabot" if published_on
              else "จัดทำด้วยระบบรายงานผล itabot")


def _status(code: str, label: str) -> Markup:
    return el("span", {"class": f"status s-{code}"}, label)


def _evidence_item(ev: PubEvidence, prefix: str) -> Markup:
    if ev.kind == "photo":
        img = el("img", {"src": prefix + ev.href, "alt": ev.alt, "loading": "lazy"})
        return el("li", {"class": "photo"}, el("figure", None, el("a", {"href": prefix + ev.href}, img),
                                 el("figcaption", None, ev.label)))
    if ev.kind == "file":
        size = f" ({max(1, ev.size // 1024):,} KB)" if ev.size else ""
        return el("li", None, el("a", {"href": prefix + ev.href}, ev.label), size)
    if ev.kind == "url":
        return el("li", None, el("a", {"href": ev.href, "rel": "noopener noreferrer"}, ev.label))
    return el("li", None, ev.label)


def _answer(ans: PubAnswer, prefix: str, level: str) -> Markup:
    when = f" · รายงานเมื่อ {ans.date}" if ans.date else ""
    carried = f" · {ans.carried}" if ans.carried else ""
    parts: list[Node] = [el(level, None, ans.unit, ": ", _status(ans.status, ans.status_label)),
                         el("p", {"class": "note"}, f"{when}{carried}".lstrip(" ·")) if when or carried else None]
    for label, value in (("ผลการดำเนินการ", ans.summary), ("ผลลัพธ์/ความสำเร็จ", ans.outcome),
                         ("เหตุผลที่ยังไม่ได้ดำเนินการ", ans.reason)):
        if value:
            parts.append(el("p", None, el("strong", None, f"{label}: "), value))
    if ans.evidence:
        parts.append(el("p", None, el("strong", None, "หลักฐาน")))
        parts.append(el("ul", {"class": "evidence"}, [_evidence_item(e, prefix) for e in ans.evidence]))
    return el("div", {"class": "answer"}, parts)


def _measure(m: PubMeasure, style: str, prefix: str, heading: str = "h3", answer_level: str = "h4") -> Markup:
    head = f"มาตรการที่ {dg(str(m.no), style)} {m.title}"
    facts = [el("dt", None, "ตัวชี้วัด"), el("dd", None, oit_code_label(m.oit_code, style) if m.oit_code else m.indicator or "-"),
             el("dt", None, "ผู้รับผิดชอบ"), el("dd", None, m.units or "-"),
             el("dt", None, "ผลการดำเนินการ"), el("dd", None, _status(m.status, m.status_label))]
    parts: list[Node] = [el(heading, {"id": f"m{m.no}"}, head), el("dl", {"class": "meta"}, facts)]
    if m.components:
        parts += [el("p", None, el("strong", None, "องค์ประกอบด้านข้อมูล")), el("ul", None, [el("li", None, c) for c in m.components])]
    parts += [_answer(a, prefix, answer_level) for a in m.answers]
    if m.pending:
        parts.append(el("p", {"class": "note"}, "ยังไม่ได้รายงาน: " + ", ".join(m.pending)))
    return el("section", {"class": "measure", "aria-labelledby": f"m{m.no}"}, parts)


def _totals(pub: PubRound) -> Markup:
    style = pub.digits
    rows = [el("tr", None, el("th", {"scope": "row"}, label), el("td", None, dg(str(n), style)))
            for _code, label, n in pub.totals]
    total = sum(n for _c, _l, n in pub.totals)
    rows.append(el("tr", None, el("th", {"scope": "row"}, "รวม"), el("td", None, dg(str(total), style))))
    return el("table", None, el("caption", None, f"สรุปผล{pub.round_label}"),
              el("thead", None, el("tr", None, el("th", {"scope": "col"}, "ผลการดำเนินการ"),
                                   el("th", {"scope": "col"}, "จำนวนมาตรการ"))),
              el("tbody", None, rows))


def _signature(pub: PubRound) -> Markup:
    """Each signer as the report prints them; under the approver, the approval made in itabot."""
    blocks = []
    for role, name, position in pub.signers:
        lines: list[Node] = [el("p", None, f"ลงชื่อ {name} {role}" if name else role)]
        if name:
            lines.append(el("p", None, f"({name})"))
        if position:
            lines.append(el("p", None, position))
        if role == APPROVER:
            lines.append(el("p", None, el("strong", None, pub.approval_note)))
        blocks.append(el("div", {"class": "sign"}, lines))
    return join(*blocks)


def _document_link(pub: PubRound, prefix: str) -> Node:
    if not pub.document:
        return None
    kind = "PDF" if pub.document.endswith(".pdf") else "Word"
    return el("p", None, el("a", {"href": prefix + pub.document}, f"ดาวน์โหลดรายงานฉบับที่อนุมัติ ({kind})"))


def round_page(pub: PubRound) -> str:
    """A round's page: title, dates, totals table, every measure with its answers and evidence, signatures."""
    style = pub.digits
    year = f"ปีงบประมาณ {dg(str(pub.fiscal_year), style)}"
    header = _header(pub.org_place, [("หน้าแรก", "../../index.html"), (year, "../index.html"), (pub.round_label, None)])
    facts = [el("dt", None, "ชื่อหน่วยงาน"), el("dd", None, pub.org_name),
             el("dt", None, "ช่วงเวลา"), el("dd", None, pub.period),
             el("dt", None, "วันที่รายงาน"), el("dd", None, pub.approved_on)]
    body = join(
        el("h1", None, pub.title[0] if pub.title else TITLE),
        [el("p", None, line) for line in pub.title[1:]],
        el("dl", {"class": "meta"}, facts),
        _document_link(pub, ""),
        el("h2", None, "สรุปผล"), _totals(pub),
        el("h2", None, "ผลการดำเนินการรายมาตรการ"),
        [_measure(m, style, "") for m in pub.measures] or el("p", None, "ไม่มีมาตรการที่ต้องรายงานในรอบนี้"),
        el("h2", None, "ผู้รายงานและผู้อนุมัติ"), _signature(pub),
    )
    title = f"{pub.round_label} ปีงบประมาณ {dg(str(pub.fiscal_year), style)} – {pub.org_name}"
    return page(title, "../../site.css", header, body, _footer(pub.published_on))


def _oit_links(codes: list[tuple[str, str]], fy: int, style: str, prefix: str) -> Markup:
    items = [el("li", None, el("a", {"href": f"{prefix}oit/{fy}/{code}.html"}, f"{oit_code_label(code, style)} {title}"))
             for code, title in codes]
    return el("ul", None, items)


def year_index(org_name: str, org_place: str, fy: int, rounds: list[PubRound], codes: list[tuple[str, str]],
               style: str) -> str:
    """A fiscal year's index: its published rounds in a table, then its OIT item pages."""
    year = f"ปีงบประมาณ {dg(str(fy), style)}"
    rows = []
    for pub in rounds:
        done = next((n for c, _l, n in pub.totals if c == "done"), 0)
        total = sum(n for _c, _l, n in pub.totals)
        kind = "PDF" if pub.document.endswith(".pdf") else "Word"
        doc = el("a", {"href": f"r{pub.round_no}/{pub.document}"}, f"ดาวน์โหลด ({kind})") if pub.document else "-"
        rows.append(el("tr", None, el("th", {"scope": "row"}, el("a", {"href": f"r{pub.round_no}/index.html"}, pub.round_label)),
                       el("td", None, pub.period), el("td", None, pub.approved_on),
                       el("td", None, f"{dg(str(done), style)}/{dg(str(total), style)}"), el("td", None, doc)))
    head = el("tr", None, [el("th", {"scope": "col"}, h) for h in
                           ("รอบ", "ช่วงเวลา", "วันที่อนุมัติ", "ดำเนินการแล้ว (มาตรการ)", "รายงานฉบับที่อนุมัติ")])
    table = el("table", None, el("caption", None, f"รายงานที่เผยแพร่ {year}"), el("thead", None, head), el("tbody", None, rows))
    body = join(el("h1", None, f"{SITE_NAME} {year}"), el("p", None, org_name),
                el("h2", None, "รายงานผลรายรอบ"), table,
                el("h2", None, "หน้าข้อมูลสำหรับแบบ OIT"), _oit_links(codes, fy, style, "../"))
    header = _header(org_place, [("หน้าแรก", "../index.html"), (year, None)])
    latest = rounds[-1].published_on if rounds else ""
    return page(f"{year} – {org_name}", "../site.css", header, body, _footer(latest))


def org_index(org_name: str, org_place: str, years: list[int], style: str, published_on: str) -> str:
    """The office's front page: one link per fiscal year with published rounds."""
    items = [el("li", None, el("a", {"href": f"{fy}/index.html"}, f"ปีงบประมาณ {dg(str(fy), style)}"))
             for fy in sorted(years, reverse=True)]
    body = join(el("h1", None, f"{SITE_NAME} – {org_name}"), el("h2", None, "ปีงบประมาณ"), el("ul", None, items))
    return page(f"{SITE_NAME} – {org_name}", "site.css", _header(org_place, [("หน้าแรก", None)]), body,
                _footer(published_on))


def oit_page(code: str, fy: int, rounds: list[PubRound], style: str) -> str:
    """An OIT item's stable page: its measures as of the latest published round that has them, and for the
    progress-report item (o43) every published report of the year."""
    latest = rounds[-1]
    year = f"ปีงบประمาณ {dg(str(fy), style)}"
    source = next((p for p in reversed(rounds) if any(m.oit_code == code for m in p.measures)), None)
    measures = [m for m in source.measures if m.oit_code == code] if source else []
    title = measures[0].title if measures else ("การดำเนินการตามมาตรการส่งเสริมคุณธรรมและความโปร่งใสภายในหน่วยงาน"
                                                if code == PROGRESS_ITEM else "")
    parts: list[Node] = [el("h1", None, f"{oit_code_label(code, style)} {title}".strip()), el("p", None, f"{latest.org_name} · {year}")]
    if source is not None:
        prefix = f"../../{round_dir(fy, source.round_no)}/"
        parts.append(el("p", None, "ข้อมูลจาก", el("a", {"href": prefix + "index.html"}, f"รายงาน{source.round_label}"),
                        f" อนุมัติเมื่อ {source.approved_on}"))
        parts += [_measure(m, style, prefix, "h2", "h3") for m in measures]
    if code == PROGRESS_ITEM:
        items = [el("li", None, el("a", {"href": f"../../{round_dir(fy, p.round_no)}/index.html"}, f"รายงานผล{p.round_label}"),
                    f" (อนุมัติเมื่อ {p.approved_on})",
                    [" · ", el("a", {"href": f"../../{round_dir(fy, p.round_no)}/{p.document}"}, "ฉบับที่อนุมัติ")] if p.document else None)
                 for p in rounds]
        parts += [el("h2", None, "รายงานผลการดำเนินการตามมาตรการที่เผยแพร่"), el("ul", None, items)]
    header = _header(latest.org_place, [("หน้าแรก", "../../index.html"), (year, f"../../{fy}/index.html"), (code, None)])
    return page(f"{code} {title} – {latest.org_name}".strip(), "../../site.css", header, join(*parts),
                _footer(latest.published_on))
