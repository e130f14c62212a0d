"""The progress chart (PNG): done / partial / not done / not reported per indicator and unit, in packaged Sarabun."""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from domain.fiscal import digits as dg
from domain.fiscal import round_label

from .compile import RoundReport
from .docx_table import heading_of
from .fonts import sarabun_path
from .text import STATUS_LABELS, STATUS_ORDER, org_place, shorten

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

__all__ = ["build_figure", "by_indicator", "chart_font", "legend_counts", "plain", "render_chart"]

COLORS = {"done": "#2e7d32", "partial": "#9ccc65", "not_done": "#ef6c00", "none": "#9e9e9e"}
ORDER = STATUS_ORDER
MAX_BARS = 25
LABEL_CHARS = 38


def _mpl() -> Any:
    """matplotlib, imported on the first chart (report/mpl.py): a second of start-up every `itabot` process would
    pay otherwise; the bounded-work fork server preloads it."""
    from .mpl import matplotlib

    return matplotlib


@lru_cache(maxsize=2)
def chart_font(weight: str = "Regular") -> FontProperties:
    """Sarabun from the fontpkg-sarabun wheel, by file, so the machine's fonts never matter."""
    path = sarabun_path(weight)
    mpl = _mpl()
    mpl.font_manager.fontManager.addfont(str(path))
    return mpl.font_manager.FontProperties(fname=str(path))


def plain(text: str) -> str:
    """Text matplotlib prints as is: a "$" would otherwise start mathtext and break the chart."""
    return text.replace("$", r"\$")


def by_indicator(report: RoundReport, style: str) -> list[tuple[str, Counter[str]]]:
    """Status counts per indicator heading (OIT items per sub-indicator, not one bar per item)."""
    out: dict[str, Counter[str]] = {}
    for row in report.rows:
        out.setdefault(heading_of(row, style), Counter())[row.status] += 1
    return list(out.items())


def _cap(items: list[tuple[str, Counter[str]]]) -> list[tuple[str, Counter[str]]]:
    """At most MAX_BARS bars; the rest are summed into one "อื่น ๆ" bar."""
    if len(items) <= MAX_BARS:
        return items
    rest: Counter[str] = Counter()
    for _, counts in items[MAX_BARS - 1 :]:
        rest.update(counts)
    return [*items[: MAX_BARS - 1], (f"อื่น ๆ ({len(items) - MAX_BARS + 1})", rest)]


def _panel(ax: Axes, title: str, items: list[tuple[str, Counter[str]]], style: str) -> None:
    """One stacked horizontal bar per item, first item on top."""
    font, bold = chart_font(), chart_font("Bold")
    ax.set_title(plain(title), fontproperties=bold, fontsize=13, loc="left")
    if not items:
        ax.text(0.5, 0.5, "ไม่มีข้อมูล", ha="center", va="center", transform=ax.transAxes,
                fontproperties=font, fontsize=12)
        ax.set_axis_off()
        return
    labels = [plain(shorten(name, LABEL_CHARS) or "-") for name, _ in items]
    ys = list(range(len(items)))[::-1]
    left = [0.0] * len(items)
    for status in ORDER:
        values = [float(c[status]) for _, c in items]
        bars = ax.barh(ys, values, left=left, color=COLORS[status], height=0.6)
        for bar, v in zip(bars, values, strict=True):
            if v:
                ax.text(bar.get_x() + bar.get_width() / 2, bar.get_y() + bar.get_height() / 2,
                        dg(str(int(v)), style), ha="center", va="center", color="white",
                        fontproperties=bold, fontsize=10)
        left = [a + b for a, b in zip(left, values, strict=True)]
    ax.set_yticks(ys)
    ax.set_yticklabels(labels, fontproperties=font, fontsize=11)
    ax.set_xticks([])  # the counts are written on the bars
    ax.set_xlim(0, max(max(left), 1) * 1.01)
    ax.spines[["top", "right", "bottom"]].set_visible(False)


def legend_counts(report: RoundReport) -> dict[str, int]:
    """The legend's numbers: the report's totals (domain.status), so the chart agrees with every view."""
    return {s: report.count(s) for s in STATUS_ORDER}


def build_figure(report: RoundReport, digits: str = "thai") -> Figure:
    """The chart as a matplotlib Figure (every text drawn in packaged Sarabun)."""
    indicators = _cap(by_indicator(report, digits))
    units = _cap(list(report.by_unit().items()))
    rows = max(len(indicators), 1) + max(len(units), 1)
    mpl = _mpl()
    fig = mpl.figure.Figure(figsize=(10, 2.2 + 0.42 * rows), dpi=100, layout="constrained")
    mpl.backends.backend_agg.FigureCanvasAgg(fig)
    heights = [max(len(indicators), 1) + 1, max(len(units), 1) + 1]
    axes = fig.subplots(2, 1, gridspec_kw={"height_ratios": heights})
    fy = dg(str(report.fiscal_year), digits)
    title = f"ความก้าวหน้าการดำเนินการตามมาตรการ ITA ปีงบประมาณ {fy} {round_label(report.round.months, digits)}"
    sub = org_place(report.org) + (f" · {report.unit_filter.name}" if report.unit_filter else "")
    fig.suptitle(plain(f"{title}\n{sub}"), fontproperties=chart_font("Bold"), fontsize=14)
    _panel(axes[0], "รายตัวชี้วัด (จำนวนมาตรการ)", indicators, digits)
    _panel(axes[1], "รายส่วนราชการ (จำนวนมาตรการที่รับผิดชอบ)", units, digits)
    totals = legend_counts(report)
    handles = [mpl.patches.Patch(color=COLORS[s]) for s in STATUS_ORDER]
    names = [f"{STATUS_LABELS[s]} {dg(str(totals[s]), digits)}" for s in STATUS_ORDER]
    fig.legend(handles, names, loc="outside lower center", ncol=len(STATUS_ORDER), prop=chart_font(), frameon=False)
    return fig


def render_chart(report: RoundReport, path: Path, digits: str = "thai") -> Path:
    """Write the chart as a PNG file."""
    fig = build_figure(report, digits)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(str(path), format="png", dpi=120)
    return path
