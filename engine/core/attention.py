"""Scaled dot-product attention with interchangeable backends.

Every attention in the engine goes through :func:`attention`. The backends
compute the same function and differ only in *how*:

``naive``
    The textbook version: materialise the full ``[B, H, T, S]`` score matrix,
    apply an explicit boolean mask, softmax, multiply by V. Memory is O(T·S).
``sdpa``
    ``torch.nn.functional.scaled_dot_product_attention``: PyTorch picks a fused
    kernel (FlashAttention / memory-efficient / math) for the device.
``tiled``
    The FlashAttention algorithm written in plain torch so it can be read and
    run on a CPU: blocks of queries against blocks of keys with an online
    softmax. Never holds more than one block of scores; extra memory is O(T).
``triton``
    The same algorithm as a fused Triton kernel (``engine/kernels/flash_attention.py``).

Shapes: ``q`` is ``[B, Hq, T, D]``; ``k`` and ``v`` are ``[B, Hkv, S, D]`` with
``Hq % Hkv == 0``. Query head ``h`` reads KV head ``h // (Hq // Hkv)`` (the
``repeat_interleave`` convention of LLaMA / HF ``repeat_kv``): ``Hkv == Hq`` is
multi-head, ``Hkv == 1`` multi-query, anything between grouped-query attention.

Masking conventions (shared by every backend through :func:`allowed_keys`):

* **Causal, bottom-right aligned.** The T queries are the *last* T positions
  of the S keys, so query ``i`` (0-based among T) sits at absolute position
  ``p = S - T + i`` and sees keys ``j <= p``. With T == S this is the usual
  lower triangle; with T == 1 it is one decode step against a cache of S keys;
  with 1 < T < S it is a chunk of a chunked prefill. (FlashAttention-2 and HF
  use the same alignment.)
* **Sliding window** ``window=W`` (Mistral): the query at position ``p`` sees
  only keys ``p - W < j <= p`` — at most W keys, itself included. This is HF
  ``transformers``' ``sliding_window_overlay`` (``kv_idx > q_idx - W``) on top
  of the causal mask. A window only makes sense with ``causal=True``.
* **Key padding** ``key_padding_mask`` ``[B, S]`` bool, True for a real token
  (batched prompts are left-padded). Padded keys get no weight.
* A query row that sees **no key at all** (e.g. a padding query, or T > S)
  returns zeros rather than the NaN a softmax over nothing would give.
"""
from __future__ import annotations

import math
from typing import Callable

import torch
import torch.nn.functional as F

from engine.kernels.masking import Masking  # noqa: F401  (backends and callers take it from here too)

BACKENDS: tuple[str, ...] = ("naive", "sdpa", "tiled", "triton")

# Blocks of 128 queries x 128 keys keep the Python loop of the tiled backend
# short on a CPU while a block of scores stays small (64 KiB in float32 per head).
DEFAULT_BLOCK_Q = 128
DEFAULT_BLOCK_K = 128

BlockObserver = Callable[[torch.Size], None]


# --------------------------------------------------------------------------- public API


def attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    *,
    causal: bool = True,
    backend: str = "sdpa",
    window: int | None = None,
    key_padding_mask: torch.Tensor | None = None,
    scale: float | None = None,
) -> torch.Tensor:
    """``softmax(q kᵀ · scale + mask) v`` with the chosen backend; returns ``[B, Hq, T, D]`` in q's dtype.

    ``scale`` defaults to ``1/sqrt(D)``. See the module docstring for the mask conventions.
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    masking = Masking(causal, window, key_padding_mask)
    scale = _check_inputs(q, k, v, masking, scale)
    if backend == "triton":
        # Imported here so that CPU-only callers never load Triton or define its kernel.
        from engine.kernels.flash_attention import triton_attention as implementation
    else:
        implementation = _TORCH_BACKENDS[backend]
    return implementation(q, k, v, masking, scale=scale)


def attention_reference_fp64(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    *,
    causal: bool = True,
    window: int | None = None,
    key_padding_mask: torch.Tensor | None = None,
    scale: float | None = None,
) -> torch.Tensor:
    """The ground truth the tests and demos measure errors against: the naive algorithm in float64.

    Returns a float64 tensor on q's device, so rounding of the backend under test is the only difference.
    """
    masking = Masking(causal, window, key_padding_mask)
    scale = _check_inputs(q, k, v, masking, scale)
    return naive_attention(q.double(), k.double(), v.double(), masking, scale=scale)


def allowed_keys(
    query_positions: torch.Tensor,
    key_positions: torch.Tensor,
    *,
    causal: bool,
    window: int | None,
) -> torch.Tensor | None:
    """Bool ``[len(query_positions), len(key_positions)]``: may this query see this key?

    Positions are absolute (query i of T sits at ``S - T + i``). Returns None when
    nothing is masked, so callers can skip the mask entirely. Every backend builds
    its masks (whole or per block) from this one function.
    """
    if not causal:
        return None
    p = query_positions[:, None]
    j = key_positions[None, :]
    allowed = j <= p
    if window is not None:
        allowed &= j > p - window
    return allowed


def full_mask(t: int, s: int, masking: Masking, device: torch.device) -> torch.Tensor | None:
    """The whole boolean mask, broadcastable to ``[B, H, T, S]`` (True = attend), or None if nothing is masked."""
    positions = _query_positions(0, t, t, s, device)
    mask = allowed_keys(positions, torch.arange(s, device=device), causal=masking.causal, window=masking.window)
    mask = None if mask is None else mask[None, None]  # [1, 1, T, S]
    if masking.key_padding_mask is not None:
        padding = masking.key_padding_mask[:, None, None, :]  # [B, 1, 1, S]
        mask = padding if mask is None else mask & padding
    return mask


# --------------------------------------------------------------------------- naive


def naive_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, masking: Masking, *, scale: float) -> torch.Tensor:
    """Materialise every score, mask, softmax, weight V. Expects validated inputs (use :func:`attention`)."""
    weights = attention_weights(q, k, masking, scale=scale)
    v = v.repeat_interleave(q.shape[1] // v.shape[1], dim=1)  # [B, Hq, S, D]
    return (weights.to(v.dtype) @ v).to(q.dtype)


def attention_weights(
    q: torch.Tensor, k: torch.Tensor, masking: Masking = Masking(), *, scale: float | None = None
) -> torch.Tensor:
    """The ``[B, Hq, T, S]`` softmax weights (float32 at least); rows that see no key are all zero.

    The naive backend's first half, public so demos can show the matrix itself.
    """
    if scale is None:
        scale = 1.0 / math.sqrt(q.shape[-1])
    # For clarity, give every query head its own copy of its KV head (the other backends avoid this copy).
    k = k.repeat_interleave(q.shape[1] // k.shape[1], dim=1)  # [B, Hq, S, D]
    # Half-precision softmax loses the small weights; do the scores and softmax in float32 at least.
    work = torch.promote_types(q.dtype, torch.float32)
    scores = (q.to(work) @ k.to(work).transpose(-1, -2)) * scale  # [B, Hq, T, S]
    mask = full_mask(q.shape[2], k.shape[2], masking, q.device)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    if mask is not None:
        weights = _zero_empty_rows(weights, mask)
    return weights


# --------------------------------------------------------------------------- sdpa


def sdpa_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, masking: Masking, *, scale: float) -> torch.Tensor:
    """PyTorch's fused attention. Expects validated inputs (use :func:`attention`)."""
    t, s = q.shape[2], k.shape[2]
    grouped = q.shape[1] != k.shape[1]
    # is_causal in SDPA is top-left aligned, which equals ours only when T == S; every other
    # case (decode, chunked prefill, windows, padding) gets our explicit bottom-right mask.
    simple_causal = masking.causal and t == s and masking.window is None and masking.key_padding_mask is None
    mask = None if simple_causal else full_mask(t, s, masking, q.device)
    out = F.scaled_dot_product_attention(
        q, k, v, attn_mask=mask, is_causal=simple_causal, scale=scale, enable_gqa=grouped
    )
    if mask is not None:
        # Some SDPA kernels return NaN for a row with no visible key; our contract is zeros.
        out = _zero_empty_rows(out, mask)
    return out


# --------------------------------------------------------------------------- tiled (FlashAttention in torch)


def tiled_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    masking: Masking = Masking(),
    *,
    scale: float,
    block_q: int = DEFAULT_BLOCK_Q,
    block_k: int = DEFAULT_BLOCK_K,
    observe_block: BlockObserver | None = None,
) -> torch.Tensor:
    """FlashAttention's forward pass, one block of scores at a time. Expects validated inputs.

    ``observe_block`` is a test seam: it is called with the shape of every score block
    created, so a test can prove that no ``[T, S]`` matrix is ever materialised.
    """
    causal, window, key_padding_mask = masking.causal, masking.window, masking.key_padding_mask
    b, hq, t, d = q.shape
    hkv, s = k.shape[1], k.shape[2]
    group = hq // hkv
    work = torch.promote_types(q.dtype, torch.float32)  # accumulate in float32 (float64 stays float64)

    # GQA without copying K/V: the G query heads that share a KV head become an extra axis,
    # and matmul broadcasting pairs them with the single KV head.
    q5 = q.reshape(b, hkv, group, t, d)  # [B, Hkv, G, T, D]
    k5 = k[:, :, None]  # [B, Hkv, 1, S, D]
    v5 = v[:, :, None]
    out = torch.empty(b, hkv, group, t, d, dtype=q.dtype, device=q.device)

    for q_start in range(0, t, block_q):
        q_end = min(q_start + block_q, t)
        q_pos = _query_positions(q_start, q_end, t, s, q.device)
        q_blk = q5[..., q_start:q_end, :].to(work)  # [B, Hkv, G, bq, D]
        rows = q_end - q_start

        # Running statistics of the online softmax, per query row:
        #   m   - the largest score seen so far (the softmax's shift, for stability)
        #   l   - sum of exp(score - m) over the keys seen so far (the normaliser)
        #   acc - sum of exp(score - m) * v over the keys seen so far (the unnormalised output)
        m = torch.full((b, hkv, group, rows, 1), float("-inf"), dtype=work, device=q.device)
        l = torch.zeros((b, hkv, group, rows, 1), dtype=work, device=q.device)
        acc = torch.zeros((b, hkv, group, rows, d), dtype=work, device=q.device)

        k_lo, k_hi = _visible_key_range(q_start, q_end, t, s, causal=causal, window=window)
        # Start on a block boundary so blocks line up the same way for every query block.
        for k_start in range(k_lo - k_lo % block_k, k_hi, block_k):
            k_end = min(k_start + block_k, s)
            scores = (q_blk @ k5[..., k_start:k_end, :].to(work).transpose(-1, -2)) * scale  # [B, Hkv, G, bq, bk]
            if observe_block is not None:
                observe_block(scores.shape)

            mask = allowed_keys(q_pos, torch.arange(k_start, k_end, device=q.device), causal=causal, window=window)
            if key_padding_mask is not None:
                padding = key_padding_mask[:, None, None, None, k_start:k_end]  # [B, 1, 1, 1, bk]
                mask = padding if mask is None else mask & padding
            if mask is not None:
                scores = scores.masked_fill(~mask, float("-inf"))

            # Update the running max. Where a row has seen only masked keys, m is still -inf;
            # shifting by 0 there keeps exp() at exp(-inf) = 0 instead of exp(-inf - -inf) = NaN.
            m_new = torch.maximum(m, scores.amax(dim=-1, keepdim=True))
            shift = torch.where(torch.isinf(m_new), torch.zeros_like(m_new), m_new)
            p = torch.exp(scores - shift)  # this block's unnormalised weights
            # Everything accumulated so far was relative to the old max: rescale it to the new one.
            correction = torch.exp(m - shift)
            l = l * correction + p.sum(dim=-1, keepdim=True)
            acc = acc * correction + p @ v5[..., k_start:k_end, :].to(work)
            m = m_new

        # Rows that saw no key have l == 0 and acc == 0: dividing by 1 keeps them at zero.
        out[..., q_start:q_end, :] = (acc / torch.where(l == 0, torch.ones_like(l), l)).to(q.dtype)

    return out.reshape(b, hq, t, d)


_TORCH_BACKENDS = {"naive": naive_attention, "sdpa": sdpa_attention, "tiled": tiled_attention}


# --------------------------------------------------------------------------- helpers


def _query_positions(start: int, end: int, t: int, s: int, device: torch.device) -> torch.Tensor:
    """Absolute positions of queries ``start..end-1`` of T: the queries are the last T of S positions."""
    return torch.arange(start, end, device=device) + (s - t)


def _visible_key_range(
    q_start: int, q_end: int, t: int, s: int, *, causal: bool, window: int | None
) -> tuple[int, int]:
    """Keys ``[lo, hi)`` that any query in the block may see; blocks outside are skipped unread."""
    if not causal:
        return 0, s
    first, last = q_start + s - t, q_end - 1 + s - t
    hi = max(0, min(s, last + 1))
    lo = 0 if window is None else max(0, first - window + 1)
    return min(lo, hi), hi


def _zero_empty_rows(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Zero the rows of ``x`` ([B, H, T, *]) whose mask row ([B|1, 1, T, S]) allows no key."""
    return x.masked_fill(~mask.any(dim=-1, keepdim=True), 0.0)


def _check_inputs(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, masking: Masking, scale: float | None) -> float:
    """Raise a ValueError that names the argument for every malformed input; return the scale to use."""
    causal, window, key_padding_mask = masking.causal, masking.window, masking.key_padding_mask
    for name, x in (("q", q), ("k", k), ("v", v)):
        if x.dim() != 4:
            raise ValueError(f"{name} must be 4-D [batch, heads, seq, head_dim], got shape {tuple(x.shape)}")
    if k.shape != v.shape:
        raise ValueError(f"k and v must have the same shape, got k {tuple(k.shape)} and v {tuple(v.shape)}")
    b, hq, _, d = q.shape
    bk, hkv, s, dk = k.shape
    if bk != b:
        raise ValueError(f"q and k must have the same batch size, got {b} and {bk}")
    if dk != d:
        raise ValueError(f"q and k must have the same head_dim, got {d} and {dk}")
    if hkv < 1 or hq % hkv:
        raise ValueError(f"query heads ({hq}) must be a multiple of key/value heads ({hkv})")
    if not (q.dtype == k.dtype == v.dtype):
        raise ValueError(f"q, k and v must share a dtype, got {q.dtype}, {k.dtype}, {v.dtype}")
    if not q.is_floating_point():
        raise ValueError(f"q, k and v must be floating point, got {q.dtype}")
    if not (q.device == k.device == v.device):
        raise ValueError(f"q, k and v must be on one device, got {q.device}, {k.device}, {v.device}")
    if window is not None:
        if isinstance(window, bool) or not isinstance(window, int) or window < 1:
            raise ValueError(f"window must be a positive number of tokens, got {window!r}")
        if not causal:
            raise ValueError("window (sliding-window attention) requires causal=True")
    if key_padding_mask is not None:
        if key_padding_mask.dtype != torch.bool:
            raise ValueError(f"key_padding_mask must be a bool tensor (True = real token), got {key_padding_mask.dtype}")
        if tuple(key_padding_mask.shape) != (b, s):
            raise ValueError(f"key_padding_mask must have shape [batch, keys] = [{b}, {s}], got {tuple(key_padding_mask.shape)}")
        if key_padding_mask.device != q.device:
            raise ValueError(f"key_padding_mask must be on {q.device}, got {key_padding_mask.device}")
    if scale is None:
        return 1.0 / math.sqrt(d)
    if not math.isfinite(scale) or scale <= 0:
        raise ValueError(f"scale must be a positive finite number, got {scale!r}")
    return float(scale)
