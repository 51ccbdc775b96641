"""Charts as inline SVG drawn on the server: no script, no library, readable on a phone
(the drawing scales to the screen's width) and by a screen reader (a title, a summary)."""

from __future__ import annotations

from html import escape

from markupsafe import Markup

WIDTH, LABEL, GAP, BAR = 440, 120, 14, 12
VALUE_ROOM = 36


def bar_chart(
    title: str,
    rows: list[tuple[str, list[int]]],
    series: list[tuple[str, str]],
    *,
    summary: str = "",
) -> Markup:
    """Horizontal bars: one group per row, one bar per series (name, colour)."""
    most = max((v for _, values in rows for v in values), default=0) or 1
    span = WIDTH - LABEL - VALUE_ROOM
    group = BAR * len(series) + 4 * (len(series) - 1) + GAP
    legend = 22 if len(series) > 1 else 0
    height = legend + group * max(len(rows), 1) + 4
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'xmlns="http://www.w3.org/2000/svg" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    if summary:
        parts.append(f"<desc>{escape(summary)}</desc>")
    if legend:
        x = LABEL
        for name, colour in series:
            parts.append(f'<rect x="{x}" y="4" width="10" height="10" fill="{colour}"/>')
            parts.append(f'<text x="{x + 14}" y="13" font-size="11">{escape(name)}</text>')
            x += 16 + 12 * len(name) + 8
    for index, (label, values) in enumerate(rows):
        top = legend + index * group
        middle = top + (group - GAP) / 2 + 4
        parts.append(
            f'<text x="{LABEL - 8}" y="{middle:.1f}" font-size="12" '
            f'text-anchor="end">{escape(label)}</text>'
        )
        for n, (value, (name, colour)) in enumerate(zip(values, series, strict=True)):
            y = top + n * (BAR + 4)
            width = span * value / most
            parts.append(
                f'<rect x="{LABEL}" y="{y}" width="{width:.1f}" height="{BAR}" fill="{colour}">'
                f"<title>{escape(label)} · {escape(name)}: {value}</title></rect>"
            )
            parts.append(
                f'<text x="{LABEL + width + 4:.1f}" y="{y + BAR - 2}" font-size="11">{value}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every piece of text above is escaped


def status_chart(title: str, rows: list[tuple[str, int, str]]) -> Markup:
    """One bar per status, each in its own colour: (label, count, colour)."""
    if not rows:
        return Markup("")
    most = max(c for _, c, _ in rows) or 1
    span = WIDTH - LABEL - VALUE_ROOM
    height = (BAR + GAP) * len(rows) + 4
    body = [
        f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'xmlns="http://www.w3.org/2000/svg" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    for index, (label, count, colour) in enumerate(rows):
        y = index * (BAR + GAP) + 2
        width = span * count / most
        body.append(
            f'<text x="{LABEL - 8}" y="{y + BAR - 1}" font-size="12" '
            f'text-anchor="end">{escape(label)}</text>'
            f'<rect x="{LABEL}" y="{y}" width="{width:.1f}" height="{BAR}" fill="{colour}"/>'
            f'<text x="{LABEL + width + 4:.1f}" y="{y + BAR - 1}" font-size="11">{count}</text>'
        )
    body.append("</svg>")
    return Markup("".join(body))  # noqa: S704 - every piece of text above is escaped


SHARE_COLOURS = ("#2e7d32", "#66bb6a", "#ffb300", "#e53935", "#8e24aa", "#1e88e5")


def share_chart(title: str, rows: list[tuple[str, int, int]]) -> Markup:
    """One bar per option, as a share of all responses: (label, count, percent)."""
    if not rows:
        return Markup("")
    span = WIDTH - LABEL - VALUE_ROOM - 40
    height = (BAR + GAP) * len(rows) + 4
    body = [
        f'<svg class="chart share" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'xmlns="http://www.w3.org/2000/svg" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    for index, (label, count, percent) in enumerate(rows):
        y = index * (BAR + GAP) + 2
        width = span * max(min(percent, 100), 0) / 100
        colour = SHARE_COLOURS[index % len(SHARE_COLOURS)]
        body.append(
            f'<text x="{LABEL - 8}" y="{y + BAR - 1}" font-size="12" '
            f'text-anchor="end">{escape(label)}</text>'
            f'<rect x="{LABEL}" y="{y}" width="{width:.1f}" height="{BAR}" fill="{colour}">'
            f"<title>{escape(label)}: {count} ({percent}%)</title></rect>"
            f'<text x="{LABEL + width + 4:.1f}" y="{y + BAR - 1}" font-size="11">'
            f"{count} ({percent}%)</text>"
        )
    body.append("</svg>")
    return Markup("".join(body))  # noqa: S704 - every piece of text above is escaped
