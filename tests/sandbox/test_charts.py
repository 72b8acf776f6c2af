"""Server-drawn SVG charts: axes, readable ticks, legends, log scales, accessibility and escaping."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from sandbox.display.charts import (
    PHONE_WIDTH,
    WIDTH,
    axis_label,
    format_tick,
    linear_ticks,
    log_ticks,
    nice_step,
    render_chart,
    render_chart_figure,
    wrap_balanced,
)

SVG = "{http://www.w3.org/2000/svg}"


def chart(**overrides):
    spec = {
        "title": "Latency",
        "x_label": "tokens",
        "y_label": "ms",
        "series": [
            {"name": "cached", "x": [1, 2, 3, 4], "y": [1.0, 1.1, 1.2, 1.3]},
            {"name": "recompute", "x": [1, 2, 3, 4], "y": [1.0, 4.0, 9.0, 16.0]},
        ],
    }
    spec.update(overrides)
    return spec


def texts(svg: str) -> list[str]:
    """Each <text> as a reader sees it: wrapped lines (tspans) joined with spaces."""
    return [
        " ".join("".join(node.itertext()).split()) if len(node) else node.text
        for node in ET.fromstring(svg).iter(f"{SVG}text")
    ]


def legend_texts(svg: str) -> list[ET.Element]:
    return list(ET.fromstring(svg).find(f".//{SVG}g[@class='legend']").iter(f"{SVG}text"))


def x_axis_y(svg: str) -> float:
    """The y of the horizontal axis line: the bottom of the plot area."""
    return float(ET.fromstring(svg).find(f".//{SVG}g[@class='axes']/{SVG}line").get("y1"))


def view_height(svg: str) -> float:
    return float(ET.fromstring(svg).get("viewBox").split()[3])


SAMPLING_NAMES = [
    "greedy", "temperature 0.7", "temperature 1.5", "top-k 20", "top-p 0.9", "min-p 0.1",
    "greedy + repetition penalty 1.3", "temperature 0.8 + frequency 0.5 + presence 0.5",
]  # fmt: skip


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
    assert "ms, log scale" in texts(svg)
    assert len(ET.fromstring(svg).findall(f".//{SVG}g[@class='series']/{SVG}circle")) == 2


def test_a_log_scale_is_named_once_however_the_label_is_written():
    assert axis_label("context length (tokens)", log=True) == "context length (tokens), log scale"
    assert axis_label("log10 error", log=True) == "log10 error"
    assert axis_label("", log=True) == "log scale"
    assert axis_label("tokens", log=False) == "tokens"
    svg = render_chart(chart(x_label="context length (tokens)", log_x=True))
    assert "context length (tokens), log scale" in texts(svg)
    assert "(log)" not in svg and svg.count("log scale") == 2  # the axis label and the description


def test_the_legend_sits_below_the_plot_so_it_never_covers_a_line():
    svg = render_chart(chart())
    bottom = x_axis_y(svg)
    assert [t.text for t in legend_texts(svg)] == ["cached", "recompute"]
    assert all(float(t.get("y")) > bottom + 30 for t in legend_texts(svg))  # below the tick labels too
    assert view_height(svg) > max(float(t.get("y")) for t in legend_texts(svg))


def test_many_long_names_wrap_into_rows_and_are_shown_whole():
    series = [{"name": name, "x": [i], "y": [i / 10]} for i, name in enumerate(SAMPLING_NAMES)]
    svg = render_chart(chart(series=series))
    legend = legend_texts(svg)
    assert ["".join(t.itertext()) for t in legend] == SAMPLING_NAMES
    rows = sorted({float(t.get("y")) for t in legend})
    assert len(rows) >= 2
    assert view_height(svg) > view_height(render_chart(chart()))  # the picture grows instead of cropping
    for row in rows:
        starts = sorted(float(t.get("x")) for t in legend if float(t.get("y")) == row)
        assert starts == sorted(set(starts)) and all(x < WIDTH for x in starts)


def test_a_name_longer_than_a_row_is_wrapped_onto_lines_not_cut():
    name = "temperature 0.8 + frequency penalty 0.5 + presence penalty 0.5 + repetition penalty 1.3 + top-k 40"
    svg = render_chart(chart(series=[{"name": name, "x": [1, 2], "y": [1, 2]}]))
    (text,) = legend_texts(svg)
    lines = [span.text for span in text.iter(f"{SVG}tspan")]
    assert len(lines) >= 2 and " ".join(lines) == name


def test_wrapping_balances_lines_instead_of_leaving_one_word_alone():
    lines = wrap_balanced("median gradient norm per query, log scale", 240)
    assert len(lines) == 2 and abs(len(lines[0]) - len(lines[1])) < 10


def test_it_describes_the_chart_for_screen_readers():
    root = ET.fromstring(render_chart(chart(log_x=True)))
    assert root.find(f"{SVG}title").text == "Latency"
    desc = root.find(f"{SVG}desc").text
    assert "2 series: cached, recompute" in desc
    assert "tokens, log scale from 1 to 5" in desc and "ms from 0 to 20" in desc


def test_text_from_results_is_escaped():
    svg = render_chart(chart(title="<script>alert(1)</script>"))
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    ET.fromstring(svg)  # still well-formed


def test_a_chart_without_data_says_so():
    assert "No data to plot" in render_chart(chart(series=[]))



def test_a_figure_holds_a_desktop_and_a_phone_drawing_of_the_same_chart():
    series = [{"name": name, "x": [1, 2], "y": [i, i + 1]} for i, name in enumerate(SAMPLING_NAMES)]
    wide, phone = (ET.tostring(svg, encoding="unicode") for svg in ET.fromstring(
        f"<figure>{render_chart_figure(chart(series=series))}</figure>"))  # fmt: skip
    assert ET.fromstring(wide).get("class") == "demo-chart demo-chart-wide"
    assert ET.fromstring(phone).get("class") == "demo-chart demo-chart-phone"
    assert ET.fromstring(wide).get("viewBox").startswith(f"0 0 {WIDTH} ")
    assert ET.fromstring(phone).get("viewBox").startswith(f"0 0 {PHONE_WIDTH} ")
    # Both legends name every series whole; the narrow one needs more rows and stays inside its width.
    for svg in (wide, phone):
        assert [" ".join(t.itertext()).replace("  ", " ") for t in legend_texts(svg)] == SAMPLING_NAMES
    assert all(float(t.get("x")) < PHONE_WIDTH for t in legend_texts(phone))
    rows = {svg: len({t.get("y") for t in legend_texts(svg)}) for svg in (wide, phone)}
    assert rows[phone] > rows[wide]


def test_series_take_their_colour_from_the_stylesheet_with_the_palette_as_fallback():
    svg = render_chart(chart())
    first = ET.fromstring(svg).find(f".//{SVG}g[@class='series']/{SVG}polyline")
    assert first.get("style") == "stroke: var(--chart-0, #0072B2)"
    assert "var(--chart-1, #D55E00)" in svg  # the second series, in the plot and in the legend
