"""Server-drawn SVG charts: axes, readable ticks, legends, log scales, and escaping."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from sandbox.charts import format_tick, linear_ticks, log_ticks, nice_step, render_chart

SVG = "{http://www.w3.org/2000/svg}"


def chart(**overrides):
    spec = {
        "title": "Latency",
        "x_label": "tokens",
        "y_label": "ms",
        "series": [
            {"name": "cached", "x": [1, 2, 3, 4], "y": [1.0, 1.1, 1.2, 1.3]},
            {"name": "recompute", "x": [1, 2, 3, 4], "y": [1.0, 4.0, 9.0, 16.0]},
        ],  # fmt: skip
    }
    spec.update(overrides)
    return spec


def texts(svg: str) -> list[str]:
    return [node.text for node in ET.fromstring(svg).iter(f"{SVG}text")]


def test_nice_steps_are_1_2_or_5_times_a_power_of_ten():
    assert [nice_step(span) for span in (1, 7, 15, 40, 900)] == [0.2, 2, 5, 10, 200]


def test_linear_ticks_cover_the_data_with_round_numbers():
    low, high, ticks = linear_ticks(1.0, 16.0)
    assert (low, high) == (0, 20) and ticks == [0, 5, 10, 15, 20]


def test_log_ticks_are_powers_of_ten_and_add_2_and_5_for_short_ranges():
    assert log_ticks(3, 40_000) == (1, 100_000, [1, 10, 100, 1000, 10_000, 100_000])
    assert log_ticks(3, 40) == (2, 50, [2, 5, 10, 20, 50])


def test_a_log_axis_hugs_the_data_instead_of_padding_to_whole_decades():
    assert log_ticks(128, 1024)[:2] == (100, 2000)
    assert log_ticks(10, 10)[:2] == (10, 20)


def test_tick_labels_stay_short():
    assert [format_tick(v) for v in (0, 0.5, 2500, 1e9, 1e-5)] == ["0", "0.5", "2,500", "1e9", "1e-5"]


def test_it_draws_axes_ticks_labels_a_line_per_series_and_a_legend():
    svg = render_chart(chart())
    root = ET.fromstring(svg)
    assert root.get("role") == "img" and root.get("aria-label") == "Latency"
    assert len(root.findall(f".//{SVG}polyline")) == 2
    labels = texts(svg)
    assert "tokens" in labels and "ms" in labels
    assert "cached" in labels and "recompute" in labels  # the legend
    assert "0" in labels and "20" in labels  # y ticks for values up to 16


def test_log_axes_are_labelled_and_drop_values_that_cannot_be_placed():
    svg = render_chart(chart(log_y=True, series=[{"name": "s", "x": [1, 2, 3], "y": [0, 10, 1000]}]))
    assert "ms (log)" in texts(svg)
    assert len(ET.fromstring(svg).findall(f".//{SVG}circle")) == 2


def test_text_from_results_is_escaped():
    svg = render_chart(chart(title="<script>alert(1)</script>"))
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    ET.fromstring(svg)  # still well-formed


def test_a_chart_without_data_says_so():
    assert "No data to plot" in render_chart(chart(series=[]))
