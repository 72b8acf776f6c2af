"""DemoResult: the one builder of demo results; run_demo hands its dict to the display."""
from __future__ import annotations

import pytest

from engine.demos.registry import REGISTRY, DemoResult, register, run_demo, series


def test_the_builder_produces_the_documented_shape():
    result = DemoResult("KV cache vs recompute")
    result.metric("speed-up", 7.5, "x").metric("tokens", 512)
    result.table(["tokens", "ms"], [(64, 1.0), (128, 2.0)])
    result.chart("Time per token", "tokens", "ms", [series("cached", [64, 128], [1.0, 2.0])], log_x=True)
    result.note("first", "second").measured_with(timing_threads=1).extra("text", {"greedy": "hello"})
    assert result.to_dict() == {
        "title": "KV cache vs recompute",
        "metrics": [{"name": "speed-up", "value": 7.5, "unit": "x"}, {"name": "tokens", "value": 512, "unit": ""}],
        "table": {"columns": ["tokens", "ms"], "rows": [[64, 1.0], [128, 2.0]]},
        "charts": [{
            "title": "Time per token", "x_label": "tokens", "y_label": "ms", "log_x": True, "log_y": False,
            "series": [{"name": "cached", "x": [64, 128], "y": [1.0, 2.0]}],
        }],
        "notes": ["first", "second"],
        "environment": {"timing_threads": 1},
        "text": {"greedy": "hello"},
    }


def test_mismatched_shapes_are_refused():
    with pytest.raises(ValueError, match="x has 2 points but y has 1"):
        series("bad", [1, 2], [1])
    with pytest.raises(ValueError, match="row 1 has 1 cells for 2 columns"):
        DemoResult("t").table(["a", "b"], [[1, 2], [3]])
    with pytest.raises(ValueError, match="'notes' is a standard result field"):
        DemoResult("t").extra("notes", [])


def test_a_plain_dict_round_trips_through_the_builder():
    built = DemoResult("t").metric("m", 1, "s").table(["a"], [[1]]).note("n").to_dict()
    assert DemoResult.from_dict(built).to_dict() == built


@pytest.fixture
def registered():
    names = []

    def add(name, fn):
        register(name, title=name, summary="test")(fn)
        names.append(name)

    yield add
    for name in names:
        REGISTRY.pop(name, None)


def test_run_demo_returns_the_builders_dict_with_params_and_environment(registered):
    registered("test_builder_demo", lambda params, progress: DemoResult("built").metric("m", 1).measured_with(device="mine"))
    result = run_demo("test_builder_demo")
    assert result["title"] == "built" and result["metrics"] == [{"name": "m", "value": 1, "unit": ""}]
    assert result["params"] == {}
    assert result["environment"]["device"] == "mine"  # the demo's own facts win over describe_environment()
    assert "engine" in result["environment"]


def test_run_demo_checks_a_plain_dict_result(registered):
    registered("test_dict_demo", lambda params, progress: {"title": "t", "table": {"columns": ["a"], "rows": [[1, 2]]}})
    with pytest.raises(ValueError, match="row 0 has 2 cells for 1 columns"):
        run_demo("test_dict_demo")
