"""Fonts the report formats rely on: Sarabun from the fontpkg-sarabun wheel, never the machine's fonts."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from xml.sax.saxutils import escape

__all__ = [
    "DOC_FONT",
    "DOC_FONT_SIZE_PT",
    "SARABUN_TO_TH",
    "SYMBOL_FONT",
    "fontconfig_env",
    "write_th_sarabun",
    "has_thai_glyphs",
    "sarabun_dir",
    "sarabun_path",
]

DOC_FONT = "TH Sarabun New"  # what Thai official documents are set in (Word on office PCs has it)
DOC_FONT_SIZE_PT = 16
SYMBOL_FONT = "Segoe UI Symbol"  # ☐/☑ are not in Sarabun; Word and LibreOffice fall back from here
SARABUN_TO_TH = 0.75  # Google's Sarabun is TH Sarabun New enlarged by 4/3: 12 pt Sarabun looks like 16 pt TH Sarabun New
FACES = (("Regular", "Regular"), ("Bold", "Bold"), ("Italic", "Italic"), ("BoldItalic", "Bold Italic"))
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


def write_th_sarabun(folder: Path) -> list[Path]:
    """Packaged Sarabun rescaled to TH Sarabun New's size and named so, for LibreOffice to lay out the
    document at the size Word shows it with the real font (without it every line is a third wider)."""
    from fontTools.ttLib import TTFont

    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for face, style in FACES:
        with TTFont(str(sarabun_path(face))) as font:
            font["head"].unitsPerEm = round(font["head"].unitsPerEm / SARABUN_TO_TH)  # same outlines, smaller em
            names = font["name"]
            ps = f"SarabunAsTHSarabunNew-{face}"
            for nid, value in ((1, DOC_FONT), (2, style), (4, f"{DOC_FONT} {style}"), (6, ps),
                               (16, DOC_FONT), (17, style)):
                names.setName(value, nid, 3, 1, 0x409)
                names.setName(value, nid, 1, 0, 0)
            path = folder / f"{ps}.ttf"
            font.save(str(path))
        out.append(path)
    return out


_FONTS_CONF = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  {include}
  <dir>{fontdir}</dir>
  <dir>{thdir}</dir>
  <cachedir>{cachedir}</cachedir>
  <alias binding="same">
    <family>TH SarabunPSK</family>
    <prefer><family>{docfont}</family></prefer>
  </alias>
</fontconfig>
"""


def fontconfig_env(workdir: Path, base_env: dict[str, str] | None = None) -> dict[str, str]:
    """An environment whose fontconfig knows packaged Sarabun and TH Sarabun New made from it (for soffice)."""
    import os

    workdir.mkdir(parents=True, exist_ok=True)
    system_conf = Path("/etc/fonts/fonts.conf")
    include = f'<include ignore_missing="yes">{escape(str(system_conf))}</include>' if system_conf.exists() else ""
    conf = workdir / "fonts.conf"
    conf.write_text(
        _FONTS_CONF.format(
            include=include,
            fontdir=escape(str(sarabun_dir())),
            thdir=escape(str(write_th_sarabun(workdir / "th")[0].parent)),
            cachedir=escape(str(workdir / "fc-cache")),
            docfont=escape(DOC_FONT),
        ),
        encoding="utf-8",
    )
    env = dict(os.environ if base_env is None else base_env)
    env["FONTCONFIG_FILE"] = str(conf)
    return env
