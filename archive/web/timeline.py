"""Attention over time, drawn on the server as SVG: one bar per month (or year, for long spans).

Every bar with articles is a link that narrows the search to its dates. Server-side SVG needs
no script and no chart library, so the page works offline and under a strict CSP.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass

from markupsafe import Markup, escape

MAX_MONTH_BARS = 48  # beyond four years of months, bars get too thin to read or click
WIDTH, HEIGHT, TOP, BOTTOM, LEFT = 800, 170, 14, 28, 36
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


@dataclass(slots=True, frozen=True)
class Bar:
    key: str  # "2019-11" or "2019"
    label: str  # "Nov 2019" or "2019"
    count: int
    since: str
    until: str


def _month_range(first: str, last: str) -> list[str]:
    y, m = int(first[:4]), int(first[5:7])
    end = (int(last[:4]), int(last[5:7]))
    out = []
    while (y, m) <= end:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def bars_from_counts(months: dict[str, int], years: dict[str, int]) -> tuple[str, list[Bar]]:
    """The interval ('month' or 'year') and its bars, gaps filled with zero so time reads evenly."""
    months = {k: v for k, v in months.items() if len(k) == 7 and k[:4].isdigit() and v}
    years = {k: v for k, v in years.items() if len(k) == 4 and k.isdigit() and v}
    if months:
        keys = _month_range(min(months), max(months))
        if len(keys) <= MAX_MONTH_BARS:
            bars = []
            for key in keys:
                y, m = int(key[:4]), int(key[5:7])
                last_day = calendar.monthrange(y, m)[1]
                bars.append(
                    Bar(
                        key,
                        f"{MONTHS[m - 1]} {y}",
                        months.get(key, 0),
                        f"{key}-01",
                        f"{key}-{last_day:02d}",
                    )
                )
            return "month", bars
        if not years:  # derive years from months when only months were counted
            for key, count in months.items():
                years[key[:4]] = years.get(key[:4], 0) + count
    if not years:
        return "month", []
    first, last = int(min(years)), int(max(years))
    return "year", [
        Bar(str(y), str(y), years.get(str(y), 0), f"{y}-01-01", f"{y}-12-31")
        for y in range(first, last + 1)
    ]


def _nice_max(value: int) -> int:
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if value <= step * 4:
            return step * 4
    return value


def render_svg(
    bars: list[Bar], interval: str, href: Callable[[Bar], str], chart_id: str = "timeline"
) -> Markup:
    """The chart as an SVG element; `href(bar)` gives the narrowed search for a bar."""
    if not bars:
        return Markup("")
    peak = _nice_max(max(b.count for b in bars))
    plot_w, plot_h = WIDTH - LEFT - 4, HEIGHT - TOP - BOTTOM
    slot = min(plot_w / len(bars), 60.0)  # a few bars stay bars, not slabs
    gap = min(4.0, slot * 0.2)
    total = sum(b.count for b in bars)
    what = "month" if interval == "month" else "year"
    parts = [
        f'<svg class="timeline" id="{chart_id}" viewBox="0 0 {WIDTH} {HEIGHT}" role="group" '
        f'aria-labelledby="{chart_id}-title" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-title">Matching articles per {what}: {total} dated articles from '
        f"{escape(bars[0].label)} to {escape(bars[-1].label)}</title>",
    ]
    for frac in (0, 0.5, 1):  # gridlines with their counts
        y = TOP + plot_h * (1 - frac)
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - 4}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(
            f'<text class="axis" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{int(peak * frac)}</text>'
        )
    label_every = max(1, round(len(bars) / 12))
    for i, bar in enumerate(bars):
        x = LEFT + i * slot + gap / 2
        h = plot_h * bar.count / peak if peak else 0
        y = TOP + plot_h - h
        rect = (
            f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{slot - gap:.1f}" height="{h:.1f}"/>'
            f'<rect class="hit" x="{x:.1f}" y="{TOP}" width="{slot - gap:.1f}" height="{plot_h}"/>'
        )
        title = f"{escape(bar.label)}: {bar.count} article{'s' if bar.count != 1 else ''}"
        if bar.count:
            parts.append(
                f'<a class="bar-link" href="{escape(href(bar))}" data-key="{escape(bar.key)}" '
                f'aria-label="{title}, show only these"><title>{title}</title>{rect}</a>'
            )
        else:
            parts.append(f'<g class="bar-empty"><title>{title}</title>{rect}</g>')
        show = interval == "year" or bar.key.endswith("-01") or len(bars) <= 12
        if show and (i % label_every == 0 or interval == "month"):
            text = bar.label if interval == "year" or len(bars) <= 12 else bar.key[:4]
            parts.append(
                f'<text class="axis" x="{x + (slot - gap) / 2:.1f}" y="{HEIGHT - 10}" '
                f'text-anchor="middle">{escape(text)}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))
