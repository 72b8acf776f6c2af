"""Line charts as inline SVG, drawn on the server with no dependency.

A demo's result describes its charts as data (see engine/demos/registry.py);
this module turns one description into an ``<svg>`` with axes, "nice" ticks
(1-2-5 steps, or powers of ten on log axes), axis labels and a legend. Drawing on
the server means the status API can return finished HTML and the page's script
only swaps it in, and a cached result looks the same with JavaScript off.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.html import escape

WIDTH, HEIGHT = 560, 320
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 30, 48
# Colour-blind-safe palette (Okabe–Ito), in the order series are drawn.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")


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
    count = int(round((end - start) / step))
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


def render_chart(chart: dict[str, Any]) -> str:
    """One chart description → SVG markup (escaped, safe to mark_safe)."""
    log_x, log_y = bool(chart.get("log_x")), bool(chart.get("log_y"))
    title = str(chart.get("title", ""))
    series = [(s, _points(s, log_x, log_y)) for s in chart.get("series", [])]
    series = [(s, pts) for s, pts in series if pts]
    head = (
        f'<svg class="demo-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>'
    )
    if not series:
        return head + f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle">No data to plot</text></svg>'
    x_axis, x_ticks = _axis([x for _, pts in series for x, _ in pts], log_x)
    y_axis, y_ticks = _axis([y for _, pts in series for _, y in pts], log_y)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def px(x: float) -> float:
        return round(LEFT + x_axis.fraction(x) * plot_w, 1)

    def py(y: float) -> float:
        return round(TOP + (1 - y_axis.fraction(y)) * plot_h, 1)

    parts = [head, f'<text class="chart-title" x="{LEFT}" y="18">{escape(title)}</text>']
    parts.append(f'<g class="axes" stroke="currentColor" stroke-width="1">'
                 f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{LEFT + plot_w}" y2="{TOP + plot_h}"/>'
                 f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}"/></g>')  # fmt: skip
    for tick in x_ticks:
        x = px(tick)
        parts.append(
            f'<g class="tick x-tick"><line x1="{x}" y1="{TOP + plot_h}" x2="{x}" y2="{TOP + plot_h + 5}" stroke="currentColor"/>'
            f'<text x="{x}" y="{TOP + plot_h + 18}" text-anchor="middle">{format_tick(tick)}</text></g>'
        )
    for tick in y_ticks:
        y = py(tick)
        parts.append(
            f'<g class="tick y-tick"><line x1="{LEFT - 5}" y1="{y}" x2="{LEFT + plot_w}" y2="{y}" stroke="currentColor" stroke-opacity="0.15"/>'
            f'<text x="{LEFT - 8}" y="{y + 4}" text-anchor="end">{format_tick(tick)}</text></g>'
        )
    parts.append(
        f'<text class="axis-label" x="{LEFT + plot_w / 2}" y="{HEIGHT - 8}" text-anchor="middle">'
        f"{escape(str(chart.get('x_label', '')))}{' (log)' if log_x else ''}</text>"
        f'<text class="axis-label" transform="translate(14 {TOP + plot_h / 2}) rotate(-90)" text-anchor="middle">'
        f"{escape(str(chart.get('y_label', '')))}{' (log)' if log_y else ''}</text>"
    )
    for index, (spec, pts) in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        path = " ".join(f"{px(x)},{py(y)}" for x, y in pts)
        parts.append(f'<g class="series" data-series="{escape(str(spec.get("name", "")))}">'
                     f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{path}"/>')  # fmt: skip
        parts.extend(f'<circle cx="{px(x)}" cy="{py(y)}" r="3" fill="{colour}"/>' for x, y in pts)
        parts.append("</g>")
    parts.append(_legend([str(s.get("name", "")) for s, _ in series]))
    parts.append("</svg>")
    return "".join(parts)


def _legend(names: list[str]) -> str:
    rows = []
    for index, name in enumerate(names):
        y = TOP + 6 + index * 16
        colour = PALETTE[index % len(PALETTE)]
        rows.append(
            f'<line x1="{WIDTH - RIGHT - 150}" y1="{y}" x2="{WIDTH - RIGHT - 132}" y2="{y}" stroke="{colour}" stroke-width="3"/>'
            f'<text x="{WIDTH - RIGHT - 126}" y="{y + 4}">{escape(name)}</text>'
        )
    return f'<g class="legend">{"".join(rows)}</g>'
