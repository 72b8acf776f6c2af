"""engine.core.native_step: a native decode step in one C call equals the module route bit for bit.

The C step calls the blocks' own kernels in the blocks' order, so there is no tolerance here: the
logits and every key and value written into the cache must be identical, for one row and for a small
batch, with int8 and with float32 activations (switching rebuilds the C step's table). Everything the
step does not take goes to the blocks, which stay the reference.
"""
from __future__ import annotations

from contextlib import contextmanager

import pytest
import torch

from engine.core.kv_cache import make_cache

pytestmark = pytest.mark.slow


@contextmanager
def module_route(model):
    """Run ``model``'s blocks one by one, as every model without the C step does."""
    saved, model.decode_layers = model.decode_layers, None
    try:
        yield model
    finally:
        model.decode_layers = saved


def decode(model, batch: int, steps: int = 6) -> tuple[torch.Tensor, torch.Tensor]:
    """(logits of ``steps`` greedy decode steps after a 10-token prompt, the cache buffer at the end)."""
    cache = make_cache("static", model.config, batch, 32)
    ids = torch.arange(200, 210).repeat(batch, 1) + 7 * torch.arange(batch)[:, None]
    steps_logits = []
    with torch.inference_mode():
        logits = model(ids, cache=cache)[:, -1]
        for _ in range(steps):
            logits = model(logits.argmax(-1, keepdim=True), cache=cache)[:, -1]
            steps_logits.append(logits)
    return torch.stack(steps_logits), cache.buffer.clone()


def plain_step_inputs(model, batch: int = 1):
    """A decode step's inputs to ``decode_layers`` after a 4-token prefill: (x, cos, sin, cache)."""
    cache = make_cache("static", model.config, batch, 16)
    with torch.inference_mode():
        model(torch.arange(100, 104).repeat(batch, 1), cache=cache)
    cos, sin = model.rope.tables(cache.seq_len, 1, None)
    return model.embed(torch.full((batch, 1), 42)), cos, sin, cache


@pytest.mark.parametrize("batch", [1, 3])
def test_the_c_step_equals_the_blocks_bit_for_bit(smollm2_native, batch):
    from engine.core.quant_linear import HEAD_ACTIVATIONS, LAYER_ACTIVATIONS, set_activations

    model = smollm2_native
    for activations in ("int8", "float32"):
        set_activations(model, activations)
        try:
            fast_logits, fast_cache = decode(model, batch)
            with module_route(model):
                logits, cache = decode(model, batch)
        finally:
            set_activations(model, LAYER_ACTIVATIONS)
            set_activations(model.lm_head, HEAD_ACTIVATIONS)
        assert torch.equal(fast_logits, logits), activations
        assert torch.equal(fast_cache, cache), activations


def test_a_plain_decode_step_takes_the_c_route(smollm2_native):
    x, cos, sin, cache = plain_step_inputs(smollm2_native)
    with torch.inference_mode():
        out = smollm2_native.decode_layers(x, cos, sin, cache, None, None)
    assert out is not None and out.shape == x.shape and not torch.equal(out, x)
    assert cache.seq_len == 4  # advancing is the model's job, after the last layer


def test_everything_else_goes_to_the_blocks(smollm2_native):
    model = smollm2_native
    x, cos, sin, cache = plain_step_inputs(model)
    step = model.decode_layers
    with torch.inference_mode():
        assert step(torch.cat([x, x], dim=1), *model.rope.tables(4, 2, None), cache, None, None) is None  # two tokens
        assert step(x, cos, sin, cache, torch.tensor([[4]]), None) is None  # per-row positions
        assert step(x, cos, sin, cache, None, torch.ones(1, 5, dtype=torch.bool)) is None  # a padding mask
        dynamic = make_cache("dynamic", model.config, 1, 16)
        assert step(x, cos, sin, dynamic, None, None) is None  # another cache
        model.set_attention_backend("naive")
        try:
            assert step(x, cos, sin, cache, None, None) is None  # another attention backend
        finally:
            model.set_attention_backend("sdpa")
        assert step(x, cos, sin, cache, None, None) is not None


def test_a_full_cache_is_refused_as_the_blocks_refuse_it(smollm2_native):
    x, cos, sin, cache = plain_step_inputs(smollm2_native)
    cache.seq_len = cache.max_seq_len
    with torch.inference_mode(), pytest.raises(ValueError, match="holds at most 16 tokens"):
        smollm2_native.decode_layers(x, cos, sin, cache, None, None)
