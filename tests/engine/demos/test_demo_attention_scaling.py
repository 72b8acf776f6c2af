"""The attention_scaling demo: unscaled logits spread like sqrt(d) and saturate softmax; scaled ones do not."""
from __future__ import annotations

import math

import pytest
import torch

from engine.demos import run_demo
from engine.demos.attention_scaling import softmax_statistics


@pytest.fixture(scope="module")
def result():
    return run_demo("attention_scaling", {"keys": 64, "queries": 64, "max_head_dim": 1024})


def series(result, chart_index, name):
    return next(s["y"] for s in result["charts"][chart_index]["series"] if s["name"] == name)


def test_unscaled_logit_spread_grows_like_sqrt_d_and_scaled_stays_near_one(result):
    assert result["charts"][0]["series"][0]["x"] == [16, 64, 256, 1024]
    for d, std in zip([16, 64, 256, 1024], series(result, 0, "unscaled")):
        assert std == pytest.approx(math.sqrt(d), rel=0.15)
    assert all(0.85 < std < 1.15 for std in series(result, 0, "scaled by 1/√d"))


def test_unscaled_softmax_saturates_and_its_gradient_vanishes(result):
    max_weight, gradient = series(result, 1, "unscaled"), series(result, 3, "unscaled")
    assert max_weight[-1] > 0.9 > max(series(result, 1, "scaled by 1/√d"))
    assert gradient[-1] < 0.05 * min(series(result, 3, "scaled by 1/√d"))
    assert gradient[1:] == sorted(gradient[1:], reverse=True)  # from d=64 on, every step saturates more


def test_statistics_of_a_uniform_and_a_one_hot_softmax():
    upstream = torch.randn(2, 8, dtype=torch.float64)
    uniform = softmax_statistics(torch.zeros(2, 8, dtype=torch.float64), upstream)
    assert uniform["max"] == pytest.approx(1 / 8)
    assert uniform["entropy"] == pytest.approx(math.log(8))
    one_hot = softmax_statistics(torch.tensor([[100.0] + [0.0] * 7] * 2, dtype=torch.float64), upstream)
    assert one_hot["max"] == pytest.approx(1)
    assert one_hot["grad"] < 1e-30 and one_hot["vanishing"] == 1.0
