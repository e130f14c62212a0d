"""A tiny HTML builder for the published site: every text is escaped unless it was built here as markup.

Templates are plain functions over `el()`, so a caption or an answer can never open a tag; the page shell
carries lang="th", the viewport, one shared stylesheet and print rules, and works from a folder or a zip.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Union

__all__ = ["CSS", "Markup", "Node", "el", "join", "page", "render"]


class Markup(str):
    """Text that is already HTML (made by el/join/page): inserted as is."""


Node = Union[str, Markup, None, Iterable["Node"]]  # noqa: UP007 - a recursive alias needs the string form


def render(node: Node) -> Markup:
    """Escape plain text, keep markup, flatten lists, drop None."""
    if node is None:
        return Markup("")
    if isinstance(node, Markup):
        return node
    if isinstance(node, str):
        return Markup(html.escape(node, quote=False))
    return Markup("".join(render(n) for n in node))


def join(*nodes: Node) -> Markup:
    """Several nodes as one piece of markup."""
    return render(list(nodes))


_VOID = {"meta", "link", "img", "br", "hr"}


def el(tag: str, attrs: dict[str, str | None] | None = None, *children: Node) -> Markup:
    """<tag attr="…">children</tag>; attributes with None are left out, values are escaped."""
    parts = [tag]
    for key, value in (attrs or {}).items():
        if value is None:
            continue
        name = key.rstrip("_").replace("_", "-")
        parts.append(f'{name}="{html.escape(value, quote=True)}"')
    opening = "<" + " ".join(parts) + ">"
    if tag in _VOID:
        return Markup(opening)
    return Markup(opening + render(list(children)) + f"</{tag}>")


def page(title: str, css_href: str, header: Node, body: Node, footer: Node) -> str:
    """A whole HTML5 document in Thai: viewport for phones, skip link, header, main, footer."""
    head = join(
        el("meta", {"charset": "utf-8"}),
        el("meta", {"name": "viewport", "content": "width=device-width, initial-scale=1"}),
        el("meta", {"name": "robots", "content": "index, follow"}),
        el("title", None, title),
        el("link", {"rel": "stylesheet", "href": css_href}),
    )
    skip = el("a", {"class": "skip", "href": "#main"}, "ข้ามไปยังเนื้อหา")
    doc = join(
        el("head", None, head),
        el("body", None, skip, el("header", None, header), el("main", {"id": "main"}, body),
           el("footer", None, footer)),
    )
    return "<!DOCTYPE html>\n" + el("html", {"lang": "th"}, doc) + "\n"


CSS = """\
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 56rem; padding: 0 1rem 2rem;
  font-family: "Sarabun", "TH Sarabun New", "Noto Sans Thai", "Leelawadee UI", Tahoma, sans-serif;
  font-size: 1.0625rem; line-height: 1.7; color: #1a1a1a; background: #fff; overflow-wrap: anywhere; }
a { color: #0b4fb3; }
a:focus-visible { outline: 3px solid #b35c00; outline-offset: 2px; }
.skip { position: absolute; left: -999rem; }
.skip:focus { left: 1rem; top: 1rem; background: #fff; padding: .5rem; z-index: 2; }
header { border-bottom: 2px solid #1f4e79; padding: .75rem 0; }
header .org { font-weight: 700; margin: 0; }
nav ol { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: .25rem .5rem; }
nav li + li::before { content: "›"; margin-right: .5rem; color: #555; }
h1 { font-size: 1.45rem; line-height: 1.4; margin: 1rem 0 .5rem; }
h2 { font-size: 1.25rem; margin: 1.75rem 0 .5rem; border-bottom: 1px solid #ccc; }
h3 { font-size: 1.1rem; margin: 1.25rem 0 .25rem; }
h4 { font-size: 1rem; margin: .75rem 0 .25rem; }
.meta { display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem; margin: .5rem 0; }
.meta dt { font-weight: 700; }
.meta dd { margin: 0; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
caption { text-align: left; font-weight: 700; padding: .25rem 0; }
th, td { border: 1px solid #999; padding: .35rem .5rem; text-align: left; vertical-align: top; }
thead th { background: #eef3f8; }
.measure { border-top: 1px solid #ddd; padding-top: .25rem; }
.answer { margin: .5rem 0 .75rem; padding-left: .75rem; border-left: 4px solid #c8d3df; }
.status { display: inline-block; padding: 0 .5rem; border-radius: .3rem; font-weight: 700; }
.s-done { background: #e3f1e6; color: #0b5020; }
.s-partial { background: #fdf3d8; color: #5c4000; }
.s-not_done { background: #fbe6e4; color: #861b14; }
.s-none { background: #ececec; color: #333; }
.note { color: #444; }
figure { margin: .5rem 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #ccc; }
figcaption { font-size: .95rem; color: #444; }
ul.evidence { padding-left: 1.25rem; }
ul.evidence li.photo { list-style: none; margin-left: -1.25rem; }
.sign { margin-top: 1rem; }
.sign p { margin: .1rem 0; }
footer { margin-top: 2rem; border-top: 1px solid #ccc; font-size: .95rem; color: #444; }
@media (max-width: 30rem) { body { font-size: 1rem; } h1 { font-size: 1.25rem; } }
@media print {
  body { max-width: none; font-size: 14pt; padding: 0; }
  .skip, nav { display: none; }
  a { color: #000; text-decoration: none; }
  a[href^="http"]::after { content: " (" attr(href) ")"; font-size: 11pt; }
  .measure, .answer, figure, tr { break-inside: avoid; }
  figure img { max-width: 60%; }
  h2, h3 { break-after: avoid; }
  .status { border: 1px solid #000; background: none; color: #000; }
}
"""
