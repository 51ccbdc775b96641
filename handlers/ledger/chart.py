"""The monthly bulletin's chart: a few bar panels with Chinese labels, drawn off-screen.

matplotlib is slow to import, so it is imported inside the functions; the figure is drawn
on an Agg canvas of its own (no pyplot, no global backend), so that it is safe in a
server thread. Chinese needs a CJK font: Noto Sans CJK (Debian: fonts-noto-cjk) is looked
up through matplotlib's font manager; without one the chart is still drawn, with a warning
in the log, and its Chinese shows as empty boxes.
"""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

log = logging.getLogger(__name__)

# Preferred first: Simplified Chinese faces, then any CJK face, then common system fonts.
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Noto Sans CJK JP",
    "Noto Serif CJK SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Droid Sans Fallback",
)
FALLBACK = "DejaVu Sans"
_DRAWING = threading.Lock()  # rc_context changes matplotlib's global settings


@dataclass(frozen=True)
class Panel:
    title: str
    labels: tuple[str, ...]
    values: tuple[int, ...]
    colors: tuple[str, ...]


def pick_family(names: Iterable[str]) -> str | None:
    """The best CJK family among installed font names, or None."""
    available = set(names)
    for family in CJK_FAMILIES:
        if family in available:
            return family
    return next((n for n in sorted(available) if "CJK" in n), None)


@cache
def cjk_family() -> str | None:
    from matplotlib import font_manager

    family = pick_family(entry.name for entry in font_manager.fontManager.ttflist)
    if family is None:
        log.warning(
            "no CJK font found (install fonts-noto-cjk): "
            "the bulletin chart's Chinese labels will show as empty boxes"
        )
    return family


def render_chart(title: str, panels: list[Panel], *, family: str | None = None) -> bytes:
    """A PNG of horizontal bar panels side by side, each bar labelled with its value.

    ``family`` forces a font (tests draw with one lacking CJK to compare); by default the
    CJK font found on this machine is used.
    """
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    chosen = family or cjk_family()
    fonts = [chosen, FALLBACK] if chosen and chosen != FALLBACK else [FALLBACK]
    style = matplotlib.rc_context(
        {
            "font.family": "sans-serif",
            "font.sans-serif": fonts,
            "axes.unicode_minus": False,
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    )
    with _DRAWING, style:
        figure = Figure(figsize=(3.6 * max(len(panels), 1) + 1.2, 4.0), dpi=120)
        FigureCanvasAgg(figure)
        figure.suptitle(title, fontsize=14, fontweight="bold")
        for index, panel in enumerate(panels, start=1):
            axes = figure.add_subplot(1, len(panels), index)
            positions = range(len(panel.labels))
            bars = axes.barh(positions, panel.values, color=panel.colors, height=0.6)
            axes.set_yticks(list(positions), labels=list(panel.labels), fontsize=10)
            axes.invert_yaxis()  # the first label on top, as it is read
            axes.bar_label(bars, padding=3, fontsize=10)
            axes.set_xlim(0, max((*panel.values, 1)) * 1.25)
            axes.xaxis.set_major_locator(MaxNLocator(integer=True))
            axes.set_title(panel.title, fontsize=12)
            axes.grid(axis="x", alpha=0.3)
        figure.tight_layout()
        out = io.BytesIO()
        figure.savefig(out, format="png", facecolor="white")
    return out.getvalue()
