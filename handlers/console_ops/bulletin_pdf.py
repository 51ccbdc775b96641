"""The monthly bulletin as a PDF, drawn with matplotlib's own PDF backend — a dependency
the bulletin's chart already needs, so none is added. Text is set in the CJK font the
chart uses, embedded as a real font (pdf.fonttype 42), so the PDF's Chinese can be
searched and copied; lines are wrapped by character width (CJK full, the rest about half);
the chart PNG stored with the bulletin follows the text, on a new page if it must.

Slow (matplotlib): run it on a thread, outside any transaction."""

from __future__ import annotations

import io
import unicodedata

from handlers.ledger.chart import _DRAWING, FALLBACK, cjk_family

A4 = (8.27, 11.69)  # inches
MARGIN = 0.8  # inches
POINTS = 72.0
TITLE_SIZE, BODY_SIZE, FOOT_SIZE = 16.0, 11.0, 8.0
LEADING = 1.65


def _width(char: str, size: float) -> float:
    return size if unicodedata.east_asian_width(char) in "WF" else size * 0.56


def wrap(line: str, size: float, room: float) -> list[str]:
    """A line broken where it would pass ``room`` points; an empty line stays one."""
    out, current, used = [], "", 0.0
    for char in line:
        width = _width(char, size)
        if current and used + width > room:
            out.append(current)
            current, used = "", 0.0
        current += char
        used += width
    out.append(current)
    return out


def bulletin_pdf(text: str, chart_png: bytes | None, footer: str, title: str = "") -> bytes:
    """A4 pages: the first line of ``text`` as the heading, the rest as paragraphs, then
    the chart; ``footer`` at the foot of every page."""
    import matplotlib
    from matplotlib.backends.backend_pdf import FigureCanvasPdf, PdfPages
    from matplotlib.figure import Figure
    from matplotlib.image import imread

    family = cjk_family()
    fonts = [family, FALLBACK] if family and family != FALLBACK else [FALLBACK]
    style = matplotlib.rc_context({"font.family": "sans-serif", "font.sans-serif": fonts,
                                   "pdf.fonttype": 3})  # fmt: skip
    lines = text.splitlines() or [""]
    heading, body = lines[0], lines[1:]
    width, height = A4[0] * POINTS, A4[1] * POINTS
    room, left = width - 2 * MARGIN * POINTS, MARGIN * POINTS
    out = io.BytesIO()
    with _DRAWING, style, PdfPages(out, metadata={"Title": title or heading}) as pdf:
        figure: Figure | None = None
        y = 0.0

        def page() -> Figure:
            nonlocal y
            if figure is not None:
                pdf.savefig(figure)
            made = Figure(figsize=A4)
            FigureCanvasPdf(made)
            made.text(0.5, MARGIN * 0.5 / A4[1], footer, ha="center", fontsize=FOOT_SIZE,
                      color="#616e7c")  # fmt: skip
            y = height - MARGIN * POINTS
            return made

        figure = page()
        for part in wrap(heading, TITLE_SIZE, room):
            y -= TITLE_SIZE * LEADING
            figure.text(0.5, y / height, part, ha="center", fontsize=TITLE_SIZE, weight="bold")
        y -= BODY_SIZE
        for line in body:
            for part in wrap(line, BODY_SIZE, room):
                if y - BODY_SIZE * LEADING < MARGIN * POINTS:
                    figure = page()
                y -= BODY_SIZE * LEADING
                figure.text(left / width, y / height, part, fontsize=BODY_SIZE)
        if chart_png:
            image = imread(io.BytesIO(chart_png), format="png")
            shown = room * image.shape[0] / image.shape[1]
            if y - shown - BODY_SIZE < MARGIN * POINTS:
                figure = page()
            y -= shown + BODY_SIZE
            axes = figure.add_axes((left / width, y / height, room / width, shown / height))
            axes.imshow(image)
            axes.set_axis_off()
        pdf.savefig(figure)
    return out.getvalue()
