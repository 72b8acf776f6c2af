"""The decoder against HF LlamaForCausalLM / MistralForCausalLM built with the same shape and weights.

Tiny random models keep this fast; MHA, GQA, MQA and a sliding window each get checked for the
full forward pass and for prefill + token-by-token decode through every cache backend.
"""
from __future__ import annotations

import pytest
import torch

from engine.core.config import ModelConfig
from engine.core.kv_cache import make_cache
from engine.core.model import Transformer, hf_llama_to_engine

transformers = pytest.importorskip("transformers")

VOCAB, D, LAYERS, HEADS = 96, 64, 2, 4


def tiny_pair(n_kv_heads: int, window: int | None = None, tie: bool = False, seed: int = 0):
    """An HF model with random weights and the engine model holding a copy of them."""
    torch.manual_seed(seed)
    common = {
        "vocab_size": VOCAB, "hidden_size": D, "intermediate_size": 128, "num_hidden_layers": LAYERS, "num_attention_heads": HEADS,
        "num_key_value_heads": n_kv_heads, "max_position_embeddings": 64, "rope_theta": 10000.0, "rms_norm_eps": 1e-5,
        "tie_word_embeddings": tie, "attn_implementation": "eager",
    }
    if window is None:
        hf = transformers.LlamaForCausalLM(transformers.LlamaConfig(**common))
    else:
        hf = transformers.MistralForCausalLM(transformers.MistralConfig(sliding_window=window, **common))
    hf = hf.eval()
    config = ModelConfig(
        vocab_size=VOCAB, d_model=D, n_layers=LAYERS, n_heads=HEADS, n_kv_heads=n_kv_heads, d_ff=128,
        max_seq_len=64, rope_theta=10000.0, norm_eps=1e-5, tie_embeddings=tie, sliding_window=window,
    )
    state = {k: v.detach().clone() for k, v in hf_llama_to_engine(hf.state_dict()).items()}
    return hf, Transformer.from_state_dict(config, state)


SHAPES = [
    pytest.param(4, None, False, id="mha"),
    pytest.param(2, None, True, id="gqa-tied"),
    pytest.param(1, None, False, id="mqa"),
    pytest.param(2, 6, False, id="gqa-sliding-window-6"),
]


def ids(n: int, seed: int = 1) -> torch.Tensor:
    return torch.randint(0, VOCAB, (1, n), generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("n_kv_heads,window,tie", SHAPES)
def test_full_forward_matches_hf(n_kv_heads, window, tie):
    hf, model = tiny_pair(n_kv_heads, window, tie)
    x = ids(20)
    with torch.no_grad():
        expected = hf(x).logits
    assert torch.allclose(model(x), expected, atol=1e-5, rtol=0)


@pytest.mark.parametrize("cache", ["static", "dynamic"])
@pytest.mark.parametrize("n_kv_heads,window,tie", SHAPES)
def test_prefill_then_decode_matches_hf_full_pass(n_kv_heads, window, tie, cache):
    hf, model = tiny_pair(n_kv_heads, window, tie)
    x = ids(20)
    with torch.no_grad():
        expected = hf(x).logits[0]  # [T, V]
    kv = make_cache(cache, model.config, 1, 20)
    got = [model(x[:, :8], cache=kv)[0]]  # prefill 8 tokens
    for t in range(8, 20):  # then one at a time
        got.append(model(x[:, t : t + 1], cache=kv)[0])
    assert kv.seq_len == 20
    assert torch.allclose(torch.cat(got), expected, atol=1e-5, rtol=0)


def test_sliding_cache_matches_mistral_window_token_by_token():
    hf, model = tiny_pair(2, window=6)
    x = ids(20)
    with torch.no_grad():
        expected = hf(x).logits[0]
    kv = make_cache("sliding", model.config, 1, 20)  # the window comes from the model's config
    got = torch.cat([model(x[:, :4], cache=kv)[0], *[model(x[:, t : t + 1], cache=kv)[0] for t in range(4, 20)]])
    assert torch.allclose(got, expected, atol=1e-5, rtol=0)


def test_sliding_cache_prefill_longer_than_window_then_decode():
    """A prompt longer than W fills the ring out of order; decode must still see exactly the last W keys."""
    hf, model = tiny_pair(2, window=5)
    x = ids(24, seed=3)
    with torch.no_grad():
        expected = hf(x).logits[0]
    kv = make_cache("sliding", model.config, 1, 24, window=5)
    got = [model(x[:, :13], cache=kv)[0], model(x[:, 13:16], cache=kv)[0]]  # prefill, then a 3-token chunk
    got += [model(x[:, t : t + 1], cache=kv)[0] for t in range(16, 24)]
    assert torch.allclose(torch.cat(got), expected, atol=1e-5, rtol=0)
    assert kv.bytes_in_use == kv.bytes_reserved  # full ring: exactly W tokens held


def test_int8_cache_stays_close_to_float():
    """Per-token absmax int8 keeps each stored value within scale/2; logits move by far less than their spread."""
    hf, model = tiny_pair(2)
    x = ids(20)
    with torch.no_grad():
        expected = hf(x).logits[0]
    kv = make_cache("int8", model.config, 1, 20)
    got = torch.cat([model(x[:, :8], cache=kv)[0], *[model(x[:, t : t + 1], cache=kv)[0] for t in range(8, 20)]])
    error = (got - expected).abs().max().item()
    assert error < 0.02 * expected.std().item()
    assert not torch.equal(got, expected)  # it really is quantised


def test_explicit_positions_with_left_padding_match_unpadded_run():
    """Left-padded batches pass per-row positions and a key padding mask (what batching builds on)."""
    hf, model = tiny_pair(2)
    short, long = ids(5, seed=4), ids(8, seed=5)
    pad = 3
    batch = torch.cat([torch.cat([torch.zeros(1, pad, dtype=torch.long), short], dim=1), long])  # [2, 8]
    positions = torch.stack([torch.arange(8) - pad, torch.arange(8)]).clamp(min=0)
    mask = torch.ones(2, 8, dtype=torch.bool)
    mask[0, :pad] = False
    logits = model(batch, positions=positions, key_padding_mask=mask)
    with torch.no_grad():
        assert torch.allclose(logits[0, pad:], hf(short).logits[0], atol=1e-5, rtol=0)
        assert torch.allclose(logits[1], hf(long).logits[0], atol=1e-5, rtol=0)


def test_batched_decode_with_cache_matches_single_sequences():
    _, model = tiny_pair(2)
    x = torch.cat([ids(12, seed=6), ids(12, seed=7)])
    kv = make_cache("static", model.config, 2, 12)
    model(x[:, :6], cache=kv)
    last = [model(x[:, t : t + 1], cache=kv) for t in range(6, 12)][-1]
    for row in range(2):
        assert torch.allclose(last[row, -1], model(x[row : row + 1])[0, -1], atol=1e-5, rtol=0)


def test_sequence_longer_than_max_seq_len_is_rejected():
    _, model = tiny_pair(2)
    with pytest.raises(ValueError, match="max_seq_len"):
        model(ids(65))


def test_attention_backend_can_be_switched_without_changing_results():
    _, model = tiny_pair(2, window=6)
    x = ids(20)
    reference = model(x)
    assert torch.allclose(model.set_attention_backend("tiled")(x), reference, atol=1e-5, rtol=0)
    model.set_attention_backend("sdpa")
    with pytest.raises(ValueError, match="backend must be one of"):
        model.set_attention_backend("magic")
