"""Cache backends: byte accounting, the sliding ring buffer, int8 error bound and bad requests."""
from __future__ import annotations

import pytest
import torch

from engine.core.config import ModelConfig
from engine.formulas import kv_cache_bytes
from engine.core.kv_cache import CACHE_TYPES, Int8Cache, make_cache

CONFIG = ModelConfig(vocab_size=64, d_model=32, n_layers=3, n_heads=4, n_kv_heads=2, d_ff=64, max_seq_len=128)


def kv(tokens: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    shape = (1, CONFIG.n_kv_heads, tokens, CONFIG.head_dim)
    return torch.randn(shape, generator=g), torch.randn(shape, generator=g)


def fill(cache, tokens: int, step: int = 1) -> None:
    """Feed ``tokens`` positions through every layer, ``step`` at a time, as the model would."""
    for start in range(0, tokens, step):
        n = min(step, tokens - start)
        k, v = kv(n, seed=start)
        for layer in range(CONFIG.n_layers):
            cache.update(layer, k, v)
        cache.advance(n)


def test_registry_names_every_backend():
    assert set(CACHE_TYPES) == {"none", "dynamic", "static", "sliding", "int8"}


@pytest.mark.parametrize("kind", ["dynamic", "static"])
def test_float_caches_hold_exactly_the_formula_bytes(kind):
    cache = make_cache(kind, CONFIG, 1, 40)
    fill(cache, 10, step=3)
    assert cache.bytes_in_use == kv_cache_bytes(CONFIG, 10, 1, "float32")


def test_static_cache_reserves_its_maximum_up_front_and_dynamic_does_not():
    static, dynamic = make_cache("static", CONFIG, 1, 40), make_cache("dynamic", CONFIG, 1, 40)
    assert static.bytes_reserved == kv_cache_bytes(CONFIG, 40, 1, "float32")
    assert dynamic.bytes_reserved == 0
    fill(static, 5)
    fill(dynamic, 5)
    assert static.bytes_reserved == kv_cache_bytes(CONFIG, 40, 1, "float32")
    assert dynamic.bytes_reserved == dynamic.bytes_in_use == kv_cache_bytes(CONFIG, 5, 1, "float32")


def test_caches_return_everything_stored_in_order():
    for kind in ("dynamic", "static", "int8"):
        cache = make_cache(kind, CONFIG, 1, 40)
        fill(cache, 6)
        k, v = kv(1, seed=99)
        keys, _values = cache.update(0, k, v)
        assert keys.shape == (1, CONFIG.n_kv_heads, 7, CONFIG.head_dim), kind
        assert torch.allclose(keys[:, :, -1:], k, atol=0.05), kind  # the newest token comes last
        assert torch.allclose(keys[:, :, :1], kv(1, seed=0)[0], atol=0.05), kind  # the oldest first


def test_sliding_cache_memory_is_constant_after_the_window_fills():
    cache = make_cache("sliding", CONFIG, 1, 100, window=8)
    sizes = []
    for _ in range(20):
        fill(cache, 1)
        sizes.append(cache.bytes_in_use)
    assert sizes[:8] == [kv_cache_bytes(CONFIG, n, 1, "float32") for n in range(1, 9)]
    assert set(sizes[8:]) == {kv_cache_bytes(CONFIG, 8, 1, "float32")}
    assert cache.seq_len == 20  # positions keep counting for RoPE


def test_sliding_cache_keeps_the_last_window_tokens():
    cache = make_cache("sliding", CONFIG, 1, 100, window=4)
    fill(cache, 10, step=3)  # chunks of 3 wrap the ring at uneven offsets
    keys, _ = cache._chronological(0)
    # The last 4 positions: 6, 7, 8 from the chunk that started at 6, and 9 from the last chunk.
    expected = torch.cat([kv(3, seed=6)[0], kv(1, seed=9)[0]], dim=2)
    assert torch.equal(keys, expected)


def test_int8_quantisation_error_is_at_most_half_a_step():
    x = torch.randn(2, 3, 5, 16) * 4
    q, scale = Int8Cache.quantize(x)
    assert q.dtype == torch.int8
    assert ((q.float() * scale - x).abs() <= scale / 2 + 1e-6).all()


def test_int8_cache_is_about_a_quarter_of_float32():
    float_cache, int8_cache = make_cache("static", CONFIG, 1, 40), make_cache("int8", CONFIG, 1, 40)
    fill(float_cache, 10)
    fill(int8_cache, 10)
    elements = float_cache.bytes_in_use // 4
    scales = 2 * CONFIG.n_layers * CONFIG.n_kv_heads * 10 * 4
    assert int8_cache.bytes_in_use == elements + scales


def test_no_cache_stores_nothing():
    cache = make_cache("none", CONFIG)
    fill(cache, 5)
    assert cache.bytes_in_use == cache.bytes_reserved == 0
    assert cache.recomputes_prefix


def test_unknown_cache_type_names_the_choices():
    with pytest.raises(ValueError, match=r"cache: unknown cache type 'paged'; choose one of none, dynamic, static"):
        make_cache("paged", CONFIG)


def test_overflowing_a_static_cache_says_how_much_it_holds():
    cache = make_cache("static", CONFIG, 1, 4)
    fill(cache, 4)
    with pytest.raises(ValueError, match="holds at most 4 tokens; 4 stored \\+ 1 new"):
        fill(cache, 1)


def test_bad_sizes_and_windows_are_rejected():
    with pytest.raises(ValueError, match="max_seq_len must be between 1 and the model's 128"):
        make_cache("static", CONFIG, 1, 1000)
    with pytest.raises(ValueError, match="batch must be at least 1"):
        make_cache("static", CONFIG, 0, 10)
    with pytest.raises(ValueError, match="window: the sliding cache needs a positive window"):
        make_cache("sliding", CONFIG, 1, 10)
    with pytest.raises(ValueError, match="window: only the sliding cache takes a window"):
        make_cache("static", CONFIG, 1, 10, window=4)
