"""engine.core.moe: top-2 routing equals a per-token reference, capacity drops, the balancing loss, jitter."""
from __future__ import annotations

import pytest
import torch

from engine.core.moe import MoELayer, train_moe


# Tiny tensors: on a shared 2-core box, intra-op threads cost more than they give.
pytestmark = pytest.mark.usefixtures("one_torch_thread")


def layer(**kwargs) -> MoELayer:
    torch.manual_seed(0)
    return MoELayer(16, 32, **{"n_experts": 4, "top_k": 2, **kwargs}).eval()


def test_without_drops_each_token_gets_its_top2_experts_gate_weighted():
    moe = layer(capacity_factor=4.0)  # capacity = all tokens: nothing can be dropped
    x = torch.randn(2, 5, 16)
    with torch.no_grad():
        out, _, stats = moe(x)
        probs = moe.router(x.reshape(-1, 16)).softmax(-1)
        expected = []
        for token, p in zip(x.reshape(-1, 16), probs):
            top_p, top_i = p.topk(2)
            gates = top_p / top_p.sum()
            expected.append(sum(g * moe.experts[int(i)](token) for g, i in zip(gates, top_i)))
    assert out.shape == x.shape
    torch.testing.assert_close(out.reshape(-1, 16), torch.stack(expected), atol=1e-5, rtol=1e-5)
    assert stats.dropped_fraction == 0.0 and sum(stats.assigned) == 2 * 10


def test_capacity_caps_every_expert_and_overflow_is_dropped():
    moe = layer(capacity_factor=0.5)
    with torch.no_grad():
        moe.router.weight.zero_()
        moe.router.weight[0, 0] = 10.0  # every token's first choice is expert 0
    x = torch.randn(40, 16).abs() + 0.1
    with torch.no_grad():
        _, _, stats = moe(x)
    assert stats.capacity == 10  # ceil(0.5 * 40 tokens * 2 choices / 4 experts)
    assert all(kept <= stats.capacity for kept in stats.kept)
    assert stats.assigned[0] == 40 and stats.kept[0] == 10
    assert stats.dropped_fraction == pytest.approx(1 - sum(stats.kept) / 80)
    assert stats.max_over_mean_load == pytest.approx(40 / 20)


def test_balancing_loss_is_one_when_uniform_and_near_n_experts_when_collapsed():
    moe = layer()
    x = torch.randn(64, 16).abs() + 0.1
    with torch.no_grad():
        moe.router.weight.zero_()
        assert float(moe(x)[1]) == pytest.approx(1.0)
        moe.router.weight[2] = 50.0
        assert float(moe(x)[1]) == pytest.approx(4.0, rel=1e-3)


def test_jitter_perturbs_routing_only_in_training():
    moe = layer(jitter=0.5)
    x = torch.randn(32, 16)
    with torch.no_grad():
        first, second = moe(x)[0], moe(x)[0]
        torch.testing.assert_close(first, second)
        moe.train()
        scores = [moe(x)[2].mean_probability for _ in range(2)]
    assert scores[0] != scores[1]


@pytest.mark.parametrize("kwargs, message", [
    ({"top_k": 5}, "top_k must be between 1 and n_experts"),
    ({"capacity_factor": 0}, "capacity_factor must be positive"),
    ({"jitter": 1.0}, r"jitter must be in \[0, 1\)"),
])
def test_bad_settings_name_the_field(kwargs, message):
    with pytest.raises(ValueError, match=message):
        layer(**kwargs)


def test_the_balancing_loss_spreads_load_on_a_skewed_task():
    traces = {}
    for coef in (0.0, 0.05):
        torch.manual_seed(0)
        moe = MoELayer(32, 64, n_experts=8, top_k=2, capacity_factor=1.25, jitter=0.01)
        traces[coef] = train_moe(moe, steps=150, aux_coef=coef, n_clusters=16, skew=1.5)
    free, balanced = traces[0.0].final, traces[0.05].final
    assert balanced.max_over_mean_load < free.max_over_mean_load
    assert balanced.dropped_fraction < free.dropped_fraction
    assert traces[0.05].task_loss[-1] < traces[0.05].task_loss[0] / 5  # it still learns the task
