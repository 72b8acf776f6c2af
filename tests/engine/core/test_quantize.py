"""engine.core.quantize: per-channel int8 weights, the bytes they save and the perplexity they cost."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from engine import ModelConfig, build_model
from engine.core.quantize import Int8Linear, model_bytes, perplexity, quantize_int8, quantize_per_channel

CONFIG = ModelConfig(vocab_size=128, d_model=64, n_layers=2, n_heads=4, n_kv_heads=2, d_ff=128, max_seq_len=128)


@pytest.fixture(scope="module")
def model():
    return build_model(CONFIG, seed=0)


def test_rounding_error_is_at_most_half_a_step_per_row():
    weight = torch.randn(16, 32) * torch.logspace(-2, 1, 16)[:, None]  # rows on very different scales
    q, scale = quantize_per_channel(weight)
    assert q.dtype == torch.int8 and int(q.abs().max()) == 127
    error = (weight - q.float() * scale[:, None]).abs()
    assert bool((error <= scale[:, None] / 2 + 1e-7).all())


def test_int8_linear_tracks_the_float_layer():
    torch.manual_seed(0)
    linear = nn.Linear(64, 32, bias=False)
    quantized = Int8Linear.from_linear(linear)
    x = torch.randn(5, 64)
    _, scale = quantize_per_channel(linear.weight.detach())
    bound = (x.abs().sum(dim=1, keepdim=True) * scale[None, :] / 2)  # |x| . (step / 2) per output
    assert bool(((quantized(x) - linear(x)).abs() <= bound + 1e-5).all())


def test_a_layer_with_bias_is_refused():
    with pytest.raises(ValueError, match="bias-free"):
        Int8Linear.from_linear(nn.Linear(4, 4, bias=True))


def test_quantizing_the_model_saves_bytes_and_keeps_the_original(model):
    before = model_bytes(model)
    quantized, report = quantize_int8(model, include_lm_head=False)
    linears = [m for m in quantized.modules() if isinstance(m, Int8Linear)]
    assert report.layers == len(linears) == 4 * CONFIG.n_layers
    assert isinstance(quantized.lm_head, nn.Linear)
    assert model_bytes(model) == before  # the original still holds its float weights
    assert not any(isinstance(m, Int8Linear) for m in model.modules())
    c = CONFIG
    linear_params = c.n_layers * (c.d_model * (c.d_model + 2 * c.n_kv_heads * c.head_dim) + c.d_model**2 + 3 * c.d_model * c.d_ff)
    saved = 4 * linear_params - (linear_params + 4 * sum(m.out_features for m in linears))
    assert report.bytes_before - report.bytes_after == saved
    assert report.mean_rel_error < 0.02


def test_the_tied_lm_head_gets_its_own_int8_copy(model):
    quantized, report = quantize_int8(model, include_lm_head=True)
    assert isinstance(quantized.lm_head, Int8Linear)
    assert quantized.embed.weight.dtype == torch.float32
    assert report.layers == 4 * CONFIG.n_layers + 1


def test_perplexity_barely_moves_and_is_computed_from_next_token_likelihoods(model):
    ids = torch.randint(0, CONFIG.vocab_size, (64,), generator=torch.Generator().manual_seed(1))
    base = perplexity(model, ids)
    # A random-init model is close to uniform over the vocabulary.
    assert base == pytest.approx(CONFIG.vocab_size, rel=0.05)
    quantized, _ = quantize_int8(model)
    assert perplexity(quantized, ids) == pytest.approx(base, rel=0.01)


def test_perplexity_needs_two_tokens(model):
    with pytest.raises(ValueError, match="at least 2 tokens"):
        perplexity(model, [3])
