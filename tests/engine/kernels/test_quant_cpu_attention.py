"""The C lone-query attention of the native path (quant_cpu.attend_one_query) against float64 SDPA.

Only the order of the additions and the exponential differ (a polynomial with ~1e-7 relative
error), so on unit-scale inputs the bound is float32 rounding: 2e-6 absolute on outputs of size ~1.
The key counts are odd on purpose (the score loop takes 4 keys at a time, the exponential 8), and
k/v are slices of a longer cache buffer, as a static cache hands them over.
"""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

TOLERANCE = 2e-6


@pytest.fixture(scope="module")
def kernels():
    from engine.kernels import quant_cpu

    if quant_cpu.library() is None:
        pytest.skip(quant_cpu.unavailable_reason())
    return quant_cpu


def inputs(B: int, H: int, Hkv: int, S: int, D: int = 64, spread: float = 1.0, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    # The query rows come out of the fused q/k projection: q is a view with a head stride, like the model's.
    qk = torch.randn(B, 1, H + Hkv, D, generator=g).transpose(1, 2) * spread
    q = qk[:, :H]
    k_buf, v_buf = torch.randn(2, B, Hkv, S + 9, D, generator=g)  # room for more tokens, as in a cache
    return q, k_buf[:, :, :S], v_buf[:, :, :S]


def reference(q, k, v, scale):  # [B, 1, H * D] in float64
    y = F.scaled_dot_product_attention(q.double(), k.double(), v.double(), scale=scale, enable_gqa=q.shape[1] != k.shape[1])
    return y.transpose(1, 2).reshape(q.shape[0], 1, -1)


@pytest.mark.parametrize("S", [1, 3, 37, 301])
@pytest.mark.parametrize("B,H,Hkv", [(1, 9, 3), (2, 4, 4), (2, 8, 1)])
def test_it_matches_float64_attention(kernels, B, H, Hkv, S):
    q, k, v = inputs(B, H, Hkv, S)
    y = kernels.attend_one_query(q, k, v, 0.125)
    assert y.shape == (B, 1, H * 64) and y.is_contiguous()
    torch.testing.assert_close(y.double(), reference(q, k, v, 0.125), rtol=0, atol=TOLERANCE)


def test_sharp_scores_underflow_to_zero_weight_not_nan(kernels):
    # Scores ~100 apart: most keys' e^(s - max) is below float32's range, and the rest must still sum right.
    q, k, v = inputs(1, 9, 3, 41, spread=30.0)
    y = kernels.attend_one_query(q, k, v, 0.125)
    assert torch.isfinite(y).all()
    # Scores of size ~100 carry float32 rounding of ~100 * 2^-24 into the exponent, so the bound here is
    # what float32 SDPA itself achieves on the same inputs (the kernel may be no more than twice as far off).
    expected = reference(q, k, v, 0.125)
    sdpa = F.scaled_dot_product_attention(q, k, v, scale=0.125, enable_gqa=True).transpose(1, 2).reshape(1, 1, -1)
    sdpa_error = (sdpa.double() - expected).abs().max().item()
    assert (y.double() - expected).abs().max().item() <= 2 * sdpa_error + TOLERANCE


def test_head_dims_of_128_work(kernels):
    q, k, v = inputs(1, 4, 2, 19, D=128)
    torch.testing.assert_close(kernels.attend_one_query(q, k, v, 0.1).double(), reference(q, k, v, 0.1), rtol=0, atol=TOLERANCE)


@pytest.mark.parametrize(
    "change",
    [
        lambda q, k, v: (q.double(), k.double(), v.double()),  # not float32
        lambda q, k, v: (q[..., :48], k[..., :48], v[..., :48]),  # D not a multiple of 32
        lambda q, k, v: (q, k.transpose(2, 3).contiguous().transpose(2, 3), v),  # key rows not contiguous
    ],
    ids=["float64", "head_dim_48", "strided_keys"],
)
def test_inputs_it_cannot_take_are_left_to_sdpa(kernels, change):
    assert kernels.attend_one_query(*change(*inputs(1, 9, 3, 5)), 0.125) is None


@pytest.mark.parametrize("B,T", [(1, 1), (2, 5)])
def test_rope_in_place_matches_apply_rope(kernels, B, T):
    from engine.core.model import RotaryEmbedding, apply_rope

    H, Hkv, D = 9, 3, 64
    qkv = torch.randn(B, T, (H + 2 * Hkv) * D, generator=torch.Generator().manual_seed(3)) * 4
    cos, sin = RotaryEmbedding(D, 64, 10000.0).tables(17, T, None)  # [T, D], from position 17
    heads = qkv[..., : (H + Hkv) * D].view(B, T, H + Hkv, D).transpose(1, 2)
    expected = apply_rope(heads, cos, sin).transpose(1, 2).reshape(B, T, -1)
    v_before = qkv[..., (H + Hkv) * D :].clone()
    assert kernels.rope_in_place(qkv, H + Hkv, D, cos, sin)
    # Same products and sum; only the compiler's choice of fused multiply-adds may round differently.
    torch.testing.assert_close(qkv[..., : (H + Hkv) * D], expected, rtol=0, atol=4e-6)
    assert torch.equal(qkv[..., (H + Hkv) * D :], v_before)  # the value heads are left alone


def test_rope_with_per_row_positions_is_left_to_torch(kernels):
    from engine.core.model import RotaryEmbedding

    cos, sin = RotaryEmbedding(64, 64, 10000.0).tables(0, 1, torch.tensor([[3], [5]]))  # [B, 1, T, D]
    assert not kernels.rope_in_place(torch.zeros(2, 1, 15 * 64), 12, 64, cos, sin)
