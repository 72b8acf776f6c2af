"""The batch_invariance demo: one greedy prompt alone vs among copies vs inside a left-padded batch."""
from __future__ import annotations

import pytest
import torch

from engine.demos import DemoParamError, run_demo
from engine.demos.batch_invariance import compare


def test_compare_measures_drift_until_the_first_divergence():
    alone = ([5, 6, 7], [torch.tensor([1.0, 2.0]), torch.tensor([3.0, 1.0]), torch.tensor([0.0, 0.0])])
    other = ([5, 9, 7], [torch.tensor([1.0, 2.5]), torch.tensor([3.0, 1.25]), torch.tensor([9.0, 9.0])])
    result = compare(alone, other)
    assert result["first_divergence"] == 2 and not result["identical"]
    assert result["drift"] == [0.5, 0.25]  # the third step followed different inputs: not compared
    same = compare(alone, alone)
    assert same["first_divergence"] is None and same["identical"] and same["drift"] == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("params,param", [({"batch_size": 1}, "batch_size"), ({"max_new_tokens": 500}, "max_new_tokens")])
def test_bad_params_name_the_param(params, param):
    with pytest.raises(DemoParamError) as info:
        run_demo("batch_invariance", params)
    assert info.value.param == param


@pytest.mark.slow
def test_alone_vs_batched_on_the_real_model(smollm2, monkeypatch, demo_contract):
    monkeypatch.setattr("engine.io.loader.shared_model", lambda *args, **kwargs: smollm2)
    result = run_demo("batch_invariance", {"batch_size": 4, "max_new_tokens": 6})
    demo_contract(result)
    rows = {row[0]: row for row in result["table"]["rows"]}
    assert set(rows) == {"alone (batch 1)", "4 copies, no padding", "padded batch of 4"}
    assert rows["alone (batch 1)"][1:4] == ["0", "none", "yes"]  # the reference against itself
    for label in ("4 copies, no padding", "padded batch of 4"):
        drift = float(rows[label][1])
        assert 0 <= drift < 0.05  # float32 reordering only: tiny next to logits spanning ~20
        assert (rows[label][2] == "none") == (rows[label][3] == "yes")
