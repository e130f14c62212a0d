"""Fonts the report formats rely on: Sarabun from the fontpkg-sarabun wheel, never the machine's fonts."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from xml.sax.saxutils import escape

__all__ = [
    "DOC_FONT",
    "DOC_FONT_SIZE_PT",
    "SYMBOL_FONT",
    "fontconfig_env",
    "has_thai_glyphs",
    "sarabun_dir",
    "sarabun_path",
]

DOC_FONT = "TH Sarabun New"  # what Thai official documents are set in (Word on office PCs has it)
DOC_FONT_SIZE_PT = 16
SYMBOL_FONT = "Segoe UI Symbol"  # ☐/☑ are not in Sarabun; Word and LibreOffice fall back from here
THAI_SAMPLE = "กขคงจฉชซญดตถทนบปผพภมยรลวศสหอฮะาิีึืุูเแโใไ่้๊๋์๐๑๒๓๔๕๖๗๘๙"


def sarabun_dir() -> Path:
    """The folder of the packaged Sarabun .ttf files."""
    return Path(str(resources.files("fontpkg_sarabun").joinpath("files")))


def sarabun_path(weight: str = "Regular") -> Path:
    """One packaged Sarabun face (Regular, Bold, …); raises FileNotFoundError when absent."""
    path = sarabun_dir() / f"Sarabun-{weight}.ttf"
    if not path.is_file():
        raise FileNotFoundError(path)
    return path


@lru_cache(maxsize=8)
def has_thai_glyphs(path: Path, sample: str = THAI_SAMPLE) -> bool:
    """True when the font maps every Thai letter, vowel, tone mark and digit of the sample."""
    from fontTools.ttLib import TTFont

    with TTFont(str(path), lazy=True) as font:
        cmap = font.getBestCmap() or {}
    return all(ord(ch) in cmap for ch in sample)


_FONTS_CONF = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  {include}
  <dir>{fontdir}</dir>
  <cachedir>{cachedir}</cachedir>
  <alias binding="same">
    <family>{docfont}</family>
    <prefer><family>Sarabun</family></prefer>
  </alias>
  <alias binding="same">
    <family>TH SarabunPSK</family>
    <prefer><family>Sarabun</family></prefer>
  </alias>
</fontconfig>
"""


def fontconfig_env(workdir: Path, base_env: dict[str, str] | None = None) -> dict[str, str]:
    """An environment whose fontconfig knows packaged Sarabun and maps TH Sarabun New to it (for soffice)."""
    import os

    workdir.mkdir(parents=True, exist_ok=True)
    system_conf = Path("/etc/fonts/fonts.conf")
    include = f'<include ignore_missing="yes">{escape(str(system_conf))}</include>' if system_conf.exists() else ""
    conf = workdir / "fonts.conf"
    conf.write_text(
        _FONTS_CONF.format(
            include=include,
            fontdir=escape(str(sarabun_dir())),
            cachedir=escape(str(workdir / "fc-cache")),
            docfont=escape(DOC_FONT),
        ),
        encoding="utf-8",
    )
    env = dict(os.environ if base_env is None else base_env)
    env["FONTCONFIG_FILE"] = str(conf)
    return env
