"""engine.core.attention: every CPU backend against a float64 reference, and the reference against brute force.

Tolerances: float32 1e-5 absolute (outputs are O(1)); float16 5e-3 and bfloat16 3e-2, about
four units in the last place of an O(1) output for those formats (8 and 11 significant bits).
"""
from __future__ import annotations

import math

import pytest
import torch

from engine.core.attention import (
    BACKENDS,
    Masking,
    allowed_keys,
    attention,
    attention_reference_fp64,
    full_mask,
    tiled_attention,
)

CPU_BACKENDS = ("naive", "sdpa", "tiled")
TOLERANCE = {torch.float32: 1e-5, torch.float16: 5e-3, torch.bfloat16: 3e-2}


def random_inputs(batch, q_heads, kv_heads, t, s, d=16, dtype=torch.float32, seed=0):
    g = torch.Generator().manual_seed(seed)
    q = torch.randn(batch, q_heads, t, d, generator=g).to(dtype)
    k = torch.randn(batch, kv_heads, s, d, generator=g).to(dtype)
    v = torch.randn(batch, kv_heads, s, d, generator=g).to(dtype)
    return q, k, v


def left_padding(batch, s, pads):
    """Bool [batch, s] with the first ``pads[b]`` keys of row b masked (left-padded prompts)."""
    mask = torch.ones(batch, s, dtype=torch.bool)
    for row, pad in enumerate(pads):
        mask[row, :pad] = False
    return mask


def brute_force(q, k, v, *, causal, window, key_padding_mask):
    """One query and one key at a time, straight from the definitions in engine.attention's docstring."""
    b, hq, t, d = q.shape
    hkv, s = k.shape[1], k.shape[2]
    out = torch.zeros(b, hq, t, d, dtype=torch.float64)
    for bi in range(b):
        for h in range(hq):
            kv = h // (hq // hkv)
            for i in range(t):
                p = s - t + i
                seen = [
                    j for j in range(s)
                    if (not causal or (j <= p and (window is None or j > p - window)))
                    and (key_padding_mask is None or bool(key_padding_mask[bi, j]))
                ]
                if not seen:
                    continue
                logits = [float(q[bi, h, i].double() @ k[bi, kv, j].double()) / math.sqrt(d) for j in seen]
                top = max(logits)
                weights = [math.exp(x - top) for x in logits]
                total = sum(weights)
                for w, j in zip(weights, seen):
                    out[bi, h, i] += (w / total) * v[bi, kv, j].double()
    return out


# (batch, q_heads, kv_heads, T, S, causal, window, pads): the situations the model meets.
CASES = {
    "mha-prefill": (2, 4, 4, 12, 12, True, None, None),
    "gqa-prefill": (2, 6, 2, 12, 12, True, None, None),
    "mqa-prefill": (1, 4, 1, 12, 12, True, None, None),
    "bidirectional": (2, 4, 2, 9, 9, False, None, None),
    "cross-lengths-bidirectional": (1, 2, 2, 5, 11, False, None, None),
    "decode-one-token": (2, 4, 2, 1, 17, True, None, None),
    "chunked-prefill": (2, 4, 2, 5, 17, True, None, None),
    "window": (2, 4, 2, 20, 20, True, 4, None),
    "window-decode": (1, 4, 4, 1, 20, True, 6, None),
    "window-chunk": (1, 4, 1, 7, 20, True, 3, None),
    "left-padding": (3, 4, 2, 10, 10, True, None, (0, 3, 7)),
    "left-padding-decode": (2, 4, 2, 1, 10, True, None, (0, 4)),
    "padding-and-window": (2, 2, 1, 12, 12, True, 5, (2, 0)),
    "padding-bidirectional": (2, 2, 2, 6, 6, False, None, (0, 2)),
}


def case_inputs(name, dtype=torch.float32, d=16):
    batch, hq, hkv, t, s, causal, window, pads = CASES[name]
    q, k, v = random_inputs(batch, hq, hkv, t, s, d=d, dtype=dtype, seed=len(name))
    mask = None if pads is None else left_padding(batch, s, pads)
    return (q, k, v), dict(causal=causal, window=window, key_padding_mask=mask)


@pytest.mark.parametrize("name", ["gqa-prefill", "chunked-prefill", "window-chunk", "padding-and-window", "cross-lengths-bidirectional"])
def test_reference_matches_brute_force(name):
    (q, k, v), options = case_inputs(name, d=8)
    expected = brute_force(q, k, v, **options)
    assert torch.allclose(attention_reference_fp64(q, k, v, **options), expected, atol=1e-12)


@pytest.mark.parametrize("backend", CPU_BACKENDS)
@pytest.mark.parametrize("name", sorted(CASES))
def test_backend_matches_reference_in_float32(backend, name):
    (q, k, v), options = case_inputs(name)
    out = attention(q, k, v, backend=backend, **options)
    assert out.shape == q.shape and out.dtype == torch.float32
    error = (out.double() - attention_reference_fp64(q, k, v, **options)).abs().max().item()
    assert error < TOLERANCE[torch.float32], f"{backend} on {name}: max error {error:.2e}"


@pytest.mark.parametrize("backend", CPU_BACKENDS)
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
@pytest.mark.parametrize("name", ["gqa-prefill", "decode-one-token", "padding-and-window"])
def test_backend_matches_reference_in_half_precision(backend, dtype, name):
    (q, k, v), options = case_inputs(name, dtype=dtype)
    out = attention(q, k, v, backend=backend, **options)
    assert out.dtype == dtype
    # The reference sees the same rounded inputs, so the error is the backend's arithmetic alone.
    error = (out.double() - attention_reference_fp64(q, k, v, **options)).abs().max().item()
    assert error < TOLERANCE[dtype], f"{backend} {dtype} on {name}: max error {error:.2e}"


@pytest.mark.parametrize("backend", CPU_BACKENDS)
def test_rows_that_see_no_key_are_zero_not_nan(backend):
    q, k, v = random_inputs(2, 2, 2, 4, 6)
    mask = left_padding(2, 6, (0, 6))  # the second sequence is all padding
    out = attention(q, k, v, backend=backend, key_padding_mask=mask)
    assert not out.isnan().any()
    assert torch.equal(out[1], torch.zeros_like(out[1]))
    assert out[0].abs().sum() > 0


@pytest.mark.parametrize("backend", CPU_BACKENDS)
def test_more_queries_than_keys_leaves_the_earliest_queries_empty(backend):
    # Bottom-right alignment: with T=6 and S=4, queries 0 and 1 sit at positions -2 and -1.
    q, k, v = random_inputs(1, 2, 2, 6, 4)
    out = attention(q, k, v, backend=backend, causal=True)
    assert torch.equal(out[:, :, :2], torch.zeros_like(out[:, :, :2]))
    assert torch.allclose(out[:, :, 2:].double(), attention_reference_fp64(q, k, v)[:, :, 2:], atol=1e-5)


def test_decode_step_equals_the_last_row_of_the_full_prefill():
    q, k, v = random_inputs(2, 4, 2, 16, 16)
    full = attention(q, k, v, backend="naive")
    for backend in CPU_BACKENDS:
        last = attention(q[:, :, -1:], k, v, backend=backend)
        assert torch.allclose(last, full[:, :, -1:], atol=1e-5), backend


@pytest.mark.parametrize("backend", CPU_BACKENDS)
def test_grouped_heads_read_kv_head_h_over_group(backend):
    q, k, v = random_inputs(1, 6, 3, 8, 8)
    grouped = attention(q, k, v, backend=backend)
    repeated = attention(q, k.repeat_interleave(2, dim=1), v.repeat_interleave(2, dim=1), backend="naive")
    assert torch.allclose(grouped, repeated, atol=1e-6)


def test_sliding_window_matches_transformers_definition():
    masking_utils = pytest.importorskip("transformers.masking_utils")
    n, window = 9, 3
    hf = masking_utils.sliding_window_causal_mask_function(window)
    rows, cols = torch.arange(n)[:, None], torch.arange(n)[None, :]
    expected = hf(torch.tensor(0), torch.tensor(0), rows, cols).expand(n, n)
    ours = full_mask(n, n, Masking(window=window), torch.device("cpu"))
    assert torch.equal(ours[0, 0], expected)
    assert int(ours[0, 0].sum(dim=-1).max()) == window  # at most W keys, itself included


def test_allowed_keys_is_none_when_nothing_is_masked():
    positions = torch.arange(4)
    assert allowed_keys(positions, positions, causal=False, window=None) is None


def test_explicit_scale_is_used():
    q, k, v = random_inputs(1, 2, 2, 5, 5)
    for backend in CPU_BACKENDS:
        out = attention(q, k, v, backend=backend, scale=0.05)
        ref = attention_reference_fp64(q, k, v, scale=0.05)
        assert torch.allclose(out.double(), ref, atol=1e-5)
        assert not torch.allclose(out.double(), attention_reference_fp64(q, k, v), atol=1e-3)


# --------------------------------------------------------------------------- the tiled backend's memory promise


@pytest.mark.parametrize("block_q,block_k", [(4, 4), (5, 3), (16, 16), (64, 8)])
@pytest.mark.parametrize("name", ["gqa-prefill", "chunked-prefill", "window", "left-padding"])
def test_tiled_is_exact_for_any_block_size(block_q, block_k, name):
    (q, k, v), options = case_inputs(name)
    out = tiled_attention(q, k, v, Masking(**options), scale=0.25, block_q=block_q, block_k=block_k)
    assert torch.allclose(out.double(), attention_reference_fp64(q, k, v, **options), atol=1e-5)


def test_tiled_never_creates_more_than_one_block_of_scores():
    b, hq, hkv, n, block = 1, 4, 2, 256, 32
    q, k, v = random_inputs(b, hq, hkv, n, n)
    shapes = []
    tiled_attention(q, k, v, Masking(causal=False), scale=0.25, block_q=block, block_k=block, observe_block=shapes.append)
    largest = max(math.prod(shape) for shape in shapes)
    assert largest == b * hq * block * block  # one [bq, bk] block per head, never [T, S]
    assert largest * (n // block) ** 2 == b * hq * n * n


def test_tiled_skips_blocks_above_the_diagonal_and_outside_the_window():
    n, block = 256, 32
    q, k, v = random_inputs(1, 2, 2, n, n)
    blocks_per_side = n // block

    def count(**options):
        shapes = []
        tiled_attention(q, k, v, Masking(**options), scale=0.25, block_q=block, block_k=block, observe_block=shapes.append)
        return len(shapes)

    assert count(causal=False) == blocks_per_side**2
    assert count(causal=True) == blocks_per_side * (blocks_per_side + 1) // 2  # the lower triangle of blocks
    assert count(causal=True, window=block) == 2 * blocks_per_side - 1  # the diagonal and the one before it


# --------------------------------------------------------------------------- errors a caller can make


def test_unknown_backend_names_the_allowed_ones():
    q, k, v = random_inputs(1, 2, 2, 3, 3)
    with pytest.raises(ValueError, match="backend must be one of naive, sdpa, tiled, triton"):
        attention(q, k, v, backend="flash")
    assert BACKENDS == ("naive", "sdpa", "tiled", "triton")


@pytest.mark.parametrize(
    "shapes,message",
    [
        (((2, 4, 3), (1, 2, 3, 4), (1, 2, 3, 4)), "q must be 4-D"),
        (((1, 2, 3, 4), (1, 2, 3, 4), (1, 2, 5, 4)), "k and v must have the same shape"),
        (((1, 2, 3, 4), (2, 2, 3, 4), (2, 2, 3, 4)), "same batch size"),
        (((1, 2, 3, 8), (1, 2, 3, 4), (1, 2, 3, 4)), "same head_dim"),
        (((1, 6, 3, 4), (1, 4, 3, 4), (1, 4, 3, 4)), r"query heads \(6\) must be a multiple of key/value heads \(4\)"),
    ],
)
def test_bad_shapes_are_named(shapes, message):
    q, k, v = (torch.zeros(shape) for shape in shapes)
    with pytest.raises(ValueError, match=message):
        attention(q, k, v)


@pytest.mark.parametrize(
    "options,message",
    [
        (dict(window=0), "window must be a positive number of tokens, got 0"),
        (dict(window=2.5), "window must be a positive number of tokens"),
        (dict(window=3, causal=False), "window .* requires causal=True"),
        (dict(key_padding_mask=torch.ones(1, 5)), "key_padding_mask must be a bool tensor"),
        (dict(key_padding_mask=torch.ones(2, 5, dtype=torch.bool)), r"key_padding_mask must have shape \[batch, keys\] = \[1, 5\]"),
        (dict(scale=0.0), "scale must be a positive finite number"),
        (dict(scale=float("nan")), "scale must be a positive finite number"),
    ],
)
def test_bad_options_are_named(options, message):
    q, k, v = random_inputs(1, 2, 2, 5, 5)
    with pytest.raises(ValueError, match=message):
        attention(q, k, v, **options)


def test_mixed_dtypes_are_rejected():
    q, k, v = random_inputs(1, 2, 2, 3, 3)
    with pytest.raises(ValueError, match="must share a dtype"):
        attention(q.half(), k, v)
