"""Line charts as inline SVG, drawn on the server with no dependency.

A demo's result describes its charts as data (see engine/demos/registry.py);
this module turns one description into an ``<svg>`` with axes, "nice" ticks
(1-2-5 steps, or powers of ten on log axes), axis labels and a legend. Drawing on
the server means the status API can return finished HTML and the page's script
only swaps it in, and a cached result looks the same with JavaScript off.

The legend sits below the plot, flowing into as many rows as the names need, so it
never covers a line and never cuts a name short; the SVG grows taller instead.
There is no text measurement on the server, so widths are estimated from the
character count with a deliberately generous average glyph width.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.html import escape

WIDTH = 560
# A second drawing for phones (≤ 640 px, site CSS picks one): 560 user units squeezed into a phone's
# ~330 px would shrink 11px text to 6px, so the phone gets a narrower canvas whose text stays near
# full size; the legend wraps into more rows instead of running off the side.
PHONE_WIDTH = 340
PLOT_HEIGHT = 240
RIGHT = 16
# The stylesheet sets 11px text (12px bold titles); these averages over-estimate a
# little on purpose: a gap that is a few pixels too wide beats a clipped name.
CHAR_WIDTH, TITLE_CHAR_WIDTH = 6.6, 7.6
LINE_HEIGHT, TITLE_LINE_HEIGHT = 14, 16
LEGEND_SWATCH, LEGEND_GAP, LEGEND_ITEM_GAP = 18, 6, 18
# Colour-blind-safe palette (Okabe–Ito), in the order series are drawn.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")


def series_colour(index: int) -> str:
    """The CSS colour of the index-th series: a custom property, so the stylesheet can swap the few
    palette colours that fall under 3:1 against a light or a dark page (yellow on white, black on
    dark grey), with the palette colour itself as the fallback."""
    slot = index % len(PALETTE)
    return f"var(--chart-{slot}, {PALETTE[slot]})"



@dataclass(frozen=True)
class Axis:
    low: float
    high: float
    log: bool

    def fraction(self, value: float) -> float:
        """Where ``value`` sits between the axis ends, 0..1."""
        if self.log:
            low, high, value = math.log10(self.low), math.log10(self.high), math.log10(value)
        else:
            low, high = self.low, self.high
        return 0.5 if high == low else (value - low) / (high - low)


def nice_step(span: float, target_ticks: int = 5) -> float:
    """A 1, 2 or 5 × 10^k step giving about ``target_ticks`` ticks over ``span``."""
    if span <= 0 or not math.isfinite(span):
        return 1.0
    raw = span / max(1, target_ticks)
    magnitude = 10 ** math.floor(math.log10(raw))
    for multiple in (1, 2, 5, 10):
        if raw <= multiple * magnitude:
            return multiple * magnitude
    return 10 * magnitude


def linear_ticks(low: float, high: float) -> tuple[float, float, list[float]]:
    """Axis ends widened to whole steps, and the ticks between them."""
    if low == high:
        low, high = (low - 1, high + 1) if low == 0 else (low - abs(low) * 0.1, high + abs(high) * 0.1)
    step = nice_step(high - low)
    start, end = math.floor(low / step) * step, math.ceil(high / step) * step
    count = round((end - start) / step)
    return start, end, [start + i * step for i in range(count + 1)]


def log_ticks(low: float, high: float) -> tuple[float, float, list[float]]:
    """Ticks at 1, 2, 5 × 10^k for short ranges (under three decades), else at powers of ten.

    The axis ends at the nearest tick around the data rather than at whole decades, so
    data spanning 128..1024 is not squeezed into a third of a 100..10,000 axis.
    """
    low_exp, high_exp = math.floor(math.log10(low)), math.ceil(math.log10(high))
    if high_exp == low_exp:
        high_exp += 1
    multiples = (1, 2, 5) if high_exp - low_exp < 3 else (1,)
    candidates = [m * 10.0**e for e in range(low_exp, high_exp + 1) for m in multiples]
    start = max(t for t in candidates if t <= low * (1 + 1e-9))
    end = min(t for t in candidates if t >= high * (1 - 1e-9))
    if end == start:
        end = candidates[candidates.index(start) + 1]
    return start, end, [t for t in candidates if start <= t <= end]


def format_tick(value: float) -> str:
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 1e6 or magnitude < 1e-3:
        return f"{value:.0e}".replace("e+0", "e").replace("e-0", "e-").replace("e+", "e")
    if magnitude >= 1000:
        return f"{value:,.0f}"
    return f"{value:g}"


def _points(series: dict[str, Any], log_x: bool, log_y: bool) -> list[tuple[float, float]]:
    """Finite (x, y) pairs; non-positive values are dropped on log axes (they have no place there)."""
    pairs = []
    for x, y in zip(series.get("x", []), series.get("y", [])):
        if not isinstance(x, (int, float)) or not isinstance(y, (int, float)):
            continue
        if not (math.isfinite(x) and math.isfinite(y)) or (log_x and x <= 0) or (log_y and y <= 0):
            continue
        pairs.append((float(x), float(y)))
    return pairs


def _axis(values: Sequence[float], log: bool) -> tuple[Axis, list[float]]:
    low, high, ticks = (log_ticks if log else linear_ticks)(min(values), max(values))
    return Axis(low, high, log), ticks


def axis_label(label: str, log: bool) -> str:
    """The label with the scale said once: ", log scale" only when the label does not say "log" already."""
    label = label.strip()
    if not log or "log" in label.lower():
        return label
    return f"{label}, log scale" if label else "log scale"


def text_width(text: str, char_width: float = CHAR_WIDTH) -> float:
    return len(text) * char_width


def wrap_text(text: str, width: float, char_width: float = CHAR_WIDTH) -> list[str]:
    """Words into lines no wider than ``width``; a single word longer than that gets a line of its own."""
    lines: list[str] = []
    for word in text.split():
        if lines and text_width(f"{lines[-1]} {word}", char_width) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines or [""]


def wrap_balanced(text: str, width: float, char_width: float = CHAR_WIDTH) -> list[str]:
    """As few lines as ``wrap_text`` needs, but of even length: "norm per query, log / scale" reads badly."""
    lines = wrap_text(text, width, char_width)
    narrowest = width
    while len(lines) > 1 and narrowest > char_width:
        tighter = wrap_text(text, narrowest - char_width, char_width)
        if len(tighter) > len(lines):
            break
        narrowest -= char_width
    return wrap_text(text, narrowest, char_width)


def _text_lines(lines: list[str], x: float, y: float, line_height: float, attrs: str = "") -> str:
    """A ``<text>`` whose lines are ``<tspan>``s: SVG has no automatic wrapping."""
    if len(lines) == 1:
        return f'<text x="{x}" y="{y}"{attrs}>{escape(lines[0])}</text>'
    spans = "".join(
        f'<tspan x="{x}" dy="{0 if i == 0 else line_height}">{escape(line)}</tspan>' for i, line in enumerate(lines)
    )
    return f'<text x="{x}" y="{y}"{attrs}>{spans}</text>'


@dataclass(frozen=True)
class LegendItem:
    name: str
    colour: str
    x: float
    y: float  # baseline of the first line
    lines: tuple[str, ...]


def layout_legend(names: Sequence[str], left: float, top: float, width: float) -> tuple[list[LegendItem], float]:
    """Items flowing left to right, wrapping into rows within ``width``; returns them and the height used.

    A name too long for a whole row is wrapped onto several lines rather than cut.
    """
    items: list[LegendItem] = []
    label_room = width - LEGEND_SWATCH - LEGEND_GAP
    x, row_top, row_height = left, top, 0.0
    for index, name in enumerate(names):
        lines = wrap_text(name, label_room)
        item_width = LEGEND_SWATCH + LEGEND_GAP + max(text_width(line) for line in lines)
        if x > left and x + item_width > left + width:
            x, row_top, row_height = left, row_top + row_height, 0.0
        colour = series_colour(index)
        items.append(LegendItem(name, colour, x, row_top + LINE_HEIGHT - 3, tuple(lines)))
        x += item_width + LEGEND_ITEM_GAP
        row_height = max(row_height, len(lines) * LINE_HEIGHT + 4)
    return items, row_top + row_height - top


def _legend(items: list[LegendItem]) -> str:
    parts = []
    for item in items:
        mid = item.y - 4  # the swatch lines up with the middle of the first line's lowercase letters
        parts.append(
            f'<g class="legend-item"><line x1="{item.x}" y1="{mid}" x2="{item.x + LEGEND_SWATCH}" y2="{mid}" '
            f'style="stroke: {item.colour}" stroke-width="2"/>'
            f'<circle cx="{item.x + LEGEND_SWATCH / 2}" cy="{mid}" r="3" style="fill: {item.colour}"/>'
            + _text_lines(list(item.lines), item.x + LEGEND_SWATCH + LEGEND_GAP, item.y, LINE_HEIGHT)
            + "</g>"
        )
    return f'<g class="legend">{"".join(parts)}</g>'


def describe_chart(title: str, x_label: str, y_label: str, x_axis: Axis, y_axis: Axis, names: list[str]) -> str:
    """The ``<desc>`` a screen reader offers: what is plotted against what, over which ranges."""

    def axis_text(label: str, axis: Axis) -> str:
        return f"{label or 'unlabelled'} from {format_tick(axis.low)} to {format_tick(axis.high)}"

    count = f"{len(names)} series" if len(names) != 1 else "1 series"
    return (
        f"Line chart, {count}: {', '.join(names)}. "
        f"Horizontal axis: {axis_text(x_label, x_axis)}. Vertical axis: {axis_text(y_label, y_axis)}."
    )


def render_chart_figure(chart: dict[str, Any]) -> str:
    """The chart drawn twice, for wide screens and for phones; the stylesheet shows one of them."""
    return render_chart(chart, WIDTH, "demo-chart-wide") + render_chart(chart, PHONE_WIDTH, "demo-chart-phone")


def render_chart(chart: dict[str, Any], width: int = WIDTH, variant: str = "") -> str:
    """One chart description → SVG markup ``width`` user units wide (escaped, safe to mark_safe)."""
    log_x, log_y = bool(chart.get("log_x")), bool(chart.get("log_y"))
    title = str(chart.get("title", ""))
    x_label = axis_label(str(chart.get("x_label", "")), log_x)
    y_label = axis_label(str(chart.get("y_label", "")), log_y)
    series = [(s, _points(s, log_x, log_y)) for s in chart.get("series", [])]
    series = [(s, pts) for s, pts in series if pts]
    names = [str(s.get("name", "")) for s, _ in series]

    def svg_open(height: float, desc: str) -> str:
        return (
            f'<svg class="{" ".join(filter(None, ("demo-chart", variant)))}" xmlns="http://www.w3.org/2000/svg" '
            f'viewBox="0 0 {width} {height}" '
            f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title><desc>{escape(desc)}</desc>'
        )

    if not series:
        height = 120
        return (
            svg_open(height, "No data to plot.")
            + f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle">No data to plot</text></svg>'
        )
    x_axis, x_ticks = _axis([x for _, pts in series for x, _ in pts], log_x)
    y_axis, y_ticks = _axis([y for _, pts in series for _, y in pts], log_y)

    # Vertical bands, left to right: the rotated y label (wrapped to fit the plot's
    # height), the y tick labels, then the plot. Horizontal: title, plot, x ticks, x label, legend.
    y_label_lines = wrap_balanced(y_label, PLOT_HEIGHT) if y_label else []
    tick_room = max(text_width(format_tick(t)) for t in y_ticks)
    left = round(8 + len(y_label_lines) * LINE_HEIGHT + tick_room + 10)
    # The last x tick label is centred on the axis end: leave half of it room on the right.
    right = max(RIGHT, round(text_width(format_tick(x_ticks[-1])) / 2 + 4))
    plot_w = width - left - right
    title_lines = wrap_balanced(title, width - 16, TITLE_CHAR_WIDTH)
    top = 10 + len(title_lines) * TITLE_LINE_HEIGHT + 8
    bottom = top + PLOT_HEIGHT
    x_label_lines = wrap_balanced(x_label, plot_w) if x_label else []
    legend_top = bottom + 26 + len(x_label_lines) * LINE_HEIGHT + 8
    items, legend_height = layout_legend(names, left, legend_top, plot_w)
    height = round(legend_top + legend_height + 6)

    def px(x: float) -> float:
        return round(left + x_axis.fraction(x) * plot_w, 1)

    def py(y: float) -> float:
        return round(top + (1 - y_axis.fraction(y)) * PLOT_HEIGHT, 1)

    parts = [
        svg_open(height, describe_chart(title, x_label, y_label, x_axis, y_axis, names)),
        _text_lines(title_lines, 8, 10 + TITLE_LINE_HEIGHT - 4, TITLE_LINE_HEIGHT, ' class="chart-title"'),
        (
            f'<g class="axes" stroke="currentColor" stroke-width="1">'
            f'<line x1="{left}" y1="{bottom}" x2="{left + plot_w}" y2="{bottom}"/>'
            f'<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}"/></g>'
        ),
    ]
    for tick in x_ticks:
        x = px(tick)
        parts.append(
            f'<g class="tick x-tick"><line x1="{x}" y1="{bottom}" x2="{x}" y2="{bottom + 5}" stroke="currentColor"/>'
            f'<text x="{x}" y="{bottom + 18}" text-anchor="middle">{format_tick(tick)}</text></g>'
        )
    for tick in y_ticks:
        y = py(tick)
        parts.append(
            f'<g class="tick y-tick"><line x1="{left - 5}" y1="{y}" x2="{left + plot_w}" y2="{y}" stroke="currentColor" stroke-opacity="0.15"/>'
            f'<text x="{left - 8}" y="{y + 4}" text-anchor="end">{format_tick(tick)}</text></g>'
        )
    if x_label_lines:
        parts.append(
            _text_lines(
                x_label_lines, left + plot_w / 2, bottom + 36, LINE_HEIGHT, ' class="axis-label" text-anchor="middle"'
            )
        )
    if y_label_lines:
        parts.append(
            f'<g transform="translate(18 {top + PLOT_HEIGHT / 2}) rotate(-90)">'
            + _text_lines(y_label_lines, 0, 0, LINE_HEIGHT, ' class="axis-label" text-anchor="middle"')
            + "</g>"
        )
    for index, (spec, pts) in enumerate(series):
        colour = series_colour(index)
        path = " ".join(f"{px(x)},{py(y)}" for x, y in pts)
        parts.append(f'<g class="series" data-series="{escape(str(spec.get("name", "")))}">'
                     f'<polyline fill="none" style="stroke: {colour}" stroke-width="2" points="{path}"/>')  # fmt: skip
        parts.extend(f'<circle cx="{px(x)}" cy="{py(y)}" r="3" style="fill: {colour}"/>' for x, y in pts)
        parts.append("</g>")
    parts.append(_legend(items))
    parts.append("</svg>")
    return "".join(parts)
