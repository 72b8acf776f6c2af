"""The float32 decode kernel (quant_cpu.f32_linear, f32_matmul in quant_cpu.c) against float64 arithmetic.

Only the order of the float32 additions differs from the exact product, so each output is within
the classic bound for a float32 dot product of K terms in any order: gamma_K * sum_k |x_k w_k| with
gamma_K = K u / (1 - K u), u = 2^-24 (FMA rounds once per term, which only tightens it).
Shapes are odd on purpose: output counts that are not multiples of the kernel's eight-row groups or
of the row pool's chunks, and K that is not a multiple of its 16-float unroll (the scalar tail).
"""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from engine.core.config import ModelConfig
from engine.core.model import Linear, Transformer, init_weights

U = 2.0**-24


@pytest.fixture(scope="module")
def kernels():
    from engine.kernels import quant_cpu

    if quant_cpu.library() is None:
        pytest.skip(quant_cpu.unavailable_reason())
    return quant_cpu


def _random(*shape: int, seed: int) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize(("lead", "n", "k"), [((1,), 1, 1), ((1,), 7, 5), ((3,), 70, 17), ((2, 4), 133, 160), ((1, 1), 1031, 577)])
def test_matches_the_float64_product_within_float32_rounding(kernels, lead, n, k):
    x, w = _random(*lead, k, seed=1), _random(n, k, seed=2)
    y = kernels.f32_linear(x, w)
    assert y is not None and y.shape == (*lead, n) and y.dtype == torch.float32
    exact = x.double() @ w.double().T
    gamma = k * U / (1 - k * U)
    bound = gamma * (x.double().abs() @ w.double().abs().T)
    assert ((y.double() - exact).abs() <= bound).all()


def test_splitting_rows_across_threads_changes_no_bit(kernels, monkeypatch):
    x, w = _random(2, 300, seed=3), _random(1000, 300, seed=4)
    monkeypatch.setattr(kernels, "F32_PARALLEL_MIN_WEIGHTS", 10**12)
    alone = kernels.f32_linear(x, w)
    monkeypatch.setattr(kernels, "F32_PARALLEL_MIN_WEIGHTS", 1)
    with_pool = kernels.f32_linear(x, w)
    assert torch.equal(alone, with_pool)


def test_inputs_it_cannot_take_are_left_to_torch(kernels):
    w = _random(8, 32, seed=5)
    assert kernels.f32_linear(_random(kernels.F32_MAX_ROWS + 1, 32, seed=6), w) is None  # prefill-sized
    assert kernels.f32_linear(_random(32, 2, seed=6).T, w) is None  # not contiguous
    assert kernels.f32_linear(_random(1, 32, seed=6).double(), w.double()) is None
    assert kernels.f32_linear(_random(1, 32, seed=6), w.T.contiguous().T) is None
    assert kernels.f32_linear(torch.empty(0, 32), w) is None


def _tiny_pair() -> tuple[Transformer, Transformer]:
    """Two copies of one random model: the second multiplies with the C kernel."""
    config = ModelConfig(vocab_size=97, d_model=64, n_layers=2, n_heads=4, n_kv_heads=2, d_ff=96, max_seq_len=32, tie_embeddings=True)
    plain = init_weights(Transformer(config), seed=0)
    fast = init_weights(Transformer(config), seed=0)
    return plain, fast.use_cpu_decode_linears()


def test_the_model_decodes_with_it_and_prefills_with_torch(kernels):
    plain, fast = _tiny_pair()
    assert all(m.kernel is kernels.f32_linear for m in fast.modules() if isinstance(m, Linear))
    ids = torch.arange(kernels.F32_MAX_ROWS + 4).unsqueeze(0) % plain.config.vocab_size
    with torch.no_grad():
        assert torch.equal(fast(ids), plain(ids))  # more rows than the kernel takes: F.linear, bit for bit
        one = ids[:, :1]
        assert torch.allclose(fast(one), plain(one), rtol=0, atol=1e-5)  # decode-sized: the kernel


def test_without_the_library_the_model_multiplies_in_torch(kernels, monkeypatch):
    plain, fast = _tiny_pair()
    monkeypatch.setattr(kernels, "_library", None)
    monkeypatch.setattr(kernels, "library", lambda: None)
    ids = torch.tensor([[1]])
    with torch.no_grad():
        assert torch.equal(fast(ids), plain(ids))


def test_linear_uses_f_linear_when_the_kernel_declines():
    layer = Linear(6, 3, bias=True)
    layer.kernel = lambda x, weight: None
    x = _random(2, 6, seed=7)
    assert torch.equal(layer(x), F.linear(x, layer.weight, layer.bias))
