"""The sampling_distribution demo: filters measured on the real model's per-step distributions."""
from __future__ import annotations

import math

import pytest
import torch

from engine.demos import DemoParamError, run_demo
from engine.demos.sampling_distribution import entropy_and_support


def test_entropy_and_support_of_known_distributions():
    uniform4 = torch.tensor([[0.0, 0.0, 0.0, 0.0, -math.inf, -math.inf]])
    one_hot = torch.tensor([[5.0, -math.inf, -math.inf, -math.inf, -math.inf, -math.inf]])
    entropy, support = entropy_and_support(torch.cat([uniform4, one_hot]))
    assert entropy == [pytest.approx(math.log(4), abs=1e-3), 0.0]
    assert support == [4, 1]


@pytest.mark.parametrize("params,param", [({"top_p": 0}, "top_p"), ({"steps": 1}, "steps"), ({"prompt": " "}, "prompt")])
def test_bad_params_name_the_param(params, param):
    with pytest.raises(DemoParamError) as info:
        run_demo("sampling_distribution", params)
    assert info.value.param == param


@pytest.mark.slow
def test_filters_on_the_real_distributions(smollm2, monkeypatch, demo_contract):
    monkeypatch.setattr("engine.io.loader.shared_model", lambda *args, **kwargs: smollm2)
    result = run_demo("sampling_distribution", {"steps": 12, "top_k": 7})
    demo_contract(result)
    rows = {row[0]: row for row in result["table"]["rows"]}
    vocab = smollm2[0].config.vocab_size
    # Temperature alone removes no token; top-k keeps exactly k (float32 logits have no exact ties here).
    assert rows["temperature 1 (unfiltered)"][3] == rows["temperature 1.5"][3] == vocab
    assert rows["top-k 7"][3] == rows["top-k 7"][4] == 7
    # Raising the temperature flattens the distribution: more entropy, and a wider nucleus for the same p.
    assert rows["temperature 1.5"][1] > rows["temperature 1 (unfiltered)"][1]
    assert rows["temperature 1.5 + top-p 0.9"][2] >= rows["top-p 0.9"][2]
    # Filters only cut: every filtered setting has less entropy than the unfiltered distribution it came from.
    assert rows["top-p 0.9"][1] < rows["temperature 1 (unfiltered)"][1]
    assert rows["min-p 0.1"][1] < rows["temperature 1 (unfiltered)"][1]
    sizes = result["charts"][0]["series"]
    assert [s["name"] for s in sizes][:3] == ["top-k 7", "top-p 0.9", "min-p 0.1"]
    assert all(len(s["x"]) == 12 for s in sizes)
