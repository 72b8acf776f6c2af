"""The causal_mask demo: the mask zeroes the future, and only the unmasked run leaks."""
from __future__ import annotations

import pytest

from engine.demos import DemoParamError, run_demo


def metric(result, prefix):
    return next(m["value"] for m in result["metrics"] if m["name"].startswith(prefix))


@pytest.mark.parametrize("backend", ["naive", "sdpa", "tiled"])
def test_masked_outputs_before_the_change_do_not_move_and_unmasked_ones_do(backend):
    result = run_demo("causal_mask", {"backend": backend, "changed_position": 4})
    with_mask, without_mask = (series["y"] for series in result["charts"][0]["series"])
    assert with_mask[:4] == [0.0, 0.0, 0.0, 0]
    assert all(shift > 0 for shift in without_mask[:4])
    assert with_mask[4] > 0  # the changed position itself may see its own new token
    assert metric(result, "max |Δ output| before position 4, with the mask") == 0.0
    assert metric(result, "max |Δ output| before position 4, without the mask") > 1e-3


def test_weight_table_is_lower_triangular_with_the_mask_and_rows_sum_to_one():
    result = run_demo("causal_mask", {"sentence": "one two three four five", "changed_position": 2})
    rows = result["table"]["rows"]
    assert result["table"]["columns"] == ["query \\ key", "0:one", "1:two", "2:three", "3:four", "4:five"]
    masked, unmasked = rows[:5], rows[5:]
    for i, row in enumerate(masked):
        weights = row[1:]
        assert all(w == 0 for w in weights[i + 1:])
        assert sum(weights) == pytest.approx(1, abs=1e-3)
    assert all(row[1:][-1] > 0 for row in unmasked)  # without the mask everyone sees the last token
    assert metric(result, "weight above the diagonal with the mask") == 0


def test_same_seed_same_numbers_and_other_seed_other_numbers():
    first, again = run_demo("causal_mask", {"seed": 3}), run_demo("causal_mask", {"seed": 3})
    other = run_demo("causal_mask", {"seed": 4})
    assert first["table"] == again["table"]
    assert first["table"] != other["table"]


@pytest.mark.parametrize(
    "params,field,message",
    [
        ({"sentence": "alone"}, "sentence", "between 2 and 16 words, got 1"),
        ({"sentence": " ".join(["w"] * 17)}, "sentence", "between 2 and 16 words, got 17"),
        ({"sentence": "a b c", "changed_position": 3}, "changed_position", "between 1 and 2"),
        ({"replacement": "two words"}, "replacement", "single word"),
        ({"changed_position": 0}, "changed_position", "between 1 and 15"),
        ({"backend": "triton"}, "backend", "one of naive, sdpa, tiled"),
    ],
)
def test_bad_parameters_name_the_field(params, field, message):
    with pytest.raises(DemoParamError, match=message) as raised:
        run_demo("causal_mask", params)
    assert raised.value.param == field
