"""The progress chart draws its Thai labels with the packaged Sarabun font, whatever the machine has."""

from __future__ import annotations

import re
from pathlib import Path

import fontpkg_sarabun
from matplotlib import font_manager
from matplotlib.text import Text
from PIL import Image

from report.chart import MAX_BARS, build_figure, render_chart
from report.fonts import has_thai_glyphs, sarabun_path
from storage.models import Measure
from tests.report_fixtures import build, typical

THAI = re.compile("[\u0e00-\u0e7f]")


def _texts(fig) -> list[Text]:
    fig.canvas.draw()
    return [t for t in fig.findobj(Text) if t.get_text().strip() and t.get_visible()]


def test_every_thai_label_uses_a_thai_capable_font_from_the_wheel() -> None:
    fig = build_figure(typical(build()).compile())
    thai = [t for t in _texts(fig) if THAI.search(t.get_text())]
    shown = {t.get_text() for t in thai}
    assert {"ตัวชี้วัดที่ ๑ การปฏิบัติหน้าที่", "สำนักปลัด", "กองช่าง", "ดำเนินการ ๑", "ยังไม่ได้รายงาน ๑"} <= shown
    package = Path(fontpkg_sarabun.ROOT).resolve()
    for text in thai:
        used = Path(font_manager.findfont(text.get_fontproperties(), fallback_to_default=False)).resolve()
        assert package in used.parents, (text.get_text(), used)
        assert has_thai_glyphs(used)


def test_font_check_tells_thai_fonts_apart() -> None:
    assert has_thai_glyphs(sarabun_path())
    dejavu = Path(font_manager.findfont("DejaVu Sans"))
    assert not has_thai_glyphs(dejavu)  # the default font would draw tofu boxes


def test_png_is_written_and_bars_count_measures(tmp_path: Path) -> None:
    fx = typical(build())
    fig = build_figure(fx.compile())
    counts = sorted(t.get_text() for t in _texts(fig) if t.get_text() in "๑๒๓")
    assert counts == ["๑"] * 8 + ["๒"]  # 4 indicators + 4 unit segments of one, กองช่าง's two not reported
    path = render_chart(fx.compile(), tmp_path / "c.png")
    with Image.open(path) as img:
        assert img.format == "PNG" and img.width >= 1000 and img.height >= 400


def test_many_indicators_are_capped_and_empty_rounds_still_render(tmp_path: Path) -> None:
    fx = build()
    unit = fx.unit("กองคลัง").id
    plan = [Measure(id=f"x{i}", no=i, indicator=f"ตัวชี้วัดย่อยที่ {i}", title=f"มาตรการ {i}", unit_ids=[unit])
            for i in range(1, 61)]
    fx.repo.save_measures(fx.org.id, 2569, plan)
    labels = [t.get_text() for t in _texts(build_figure(fx.compile()))]
    assert "อื่น ๆ (36)" in labels and "ตัวชี้วัดย่อยที่ ๒๔" in labels and "ตัวชี้วัดย่อยที่ ๒๕" not in labels
    assert MAX_BARS == 25
    fx.repo.save_measures(fx.org.id, 2569, [])
    path = render_chart(fx.compile(), tmp_path / "empty.png")
    assert path.stat().st_size > 1000


def test_oit_items_are_one_bar_per_sub_indicator_and_dollars_stay_text(tmp_path: Path) -> None:
    fx = build()
    unit = fx.unit("กองคลัง").id
    plan = [Measure(id=f"o{i}", no=i, indicator=f"o{i}", title=f"ข้อ {i}", unit_ids=[unit], oit_code=f"o{i}",
                    indicator_no="9.1" if i <= 10 else "9.2", indicator_name="ข้อมูลพื้นฐาน" if i <= 10 else "การบริหารงาน")
            for i in range(1, 19)]
    fx.repo.save_measures(fx.org.id, 2569, plan)
    fx.units["กองคลัง"].name = "กอง $คลัง$ ราคา $5"  # mathtext would eat the dollars or fail to parse
    fx.repo.save_unit(fx.units["กองคลัง"])
    labels = [t.get_text() for t in _texts(build_figure(fx.compile()))]
    assert "ตัวชี้วัดย่อยที่ ๙.๑ ข้อมูลพื้นฐาน" in labels and "ตัวชี้วัดย่อยที่ ๙.๒ การบริหารงาน" in labels
    assert not any(label.startswith("o1") for label in labels)
    path = render_chart(fx.compile(), tmp_path / "oit.png")
    assert path.stat().st_size > 1000
