"""FlashAttention forward pass as one Triton kernel.

The algorithm is the one ``engine.core.attention.tiled_attention`` spells out in
torch; here it is fused so scores never leave on-chip memory:

* one program per (query block, batch x query head); it loads its block of
  queries once and keeps the running max ``m``, normaliser ``l`` and output
  accumulator in registers while it walks over blocks of keys;
* GQA/MQA: query head ``h`` reads KV head ``h // group`` straight from the
  un-repeated K/V tensors;
* causal (bottom-right aligned: query i of T is at position ``S - T + i``) and
  sliding windows skip key blocks that no query in the block can see, so
  causal attention does about half the work;
* key padding comes in as a ``[B, S]`` mask (True/1 = real token);
* scores, softmax and the accumulator are float32 whatever the input dtype
  (fp16, bf16 or fp32); fp32 inputs use full-precision dots, not TF32.

It runs compiled on CUDA, and on CPU tensors only under Triton's interpreter,
which must be switched on (``TRITON_INTERPRET=1``) *before this module is
imported*: ``triton.jit`` decides between compiling and interpreting when the
kernel is defined.
"""
from __future__ import annotations

import math

import torch
import triton
import triton.language as tl

from engine.kernels.masking import Masking
from engine.kernels.interpreter import let_the_interpreter_index_with_numpy_2_4

LOG2_E = 1.4426950408889634  # exp(x) == exp2(x * log2(e)); exp2 is the cheaper instruction on GPUs


@triton.jit
def _attend_block(
    acc, l_i, m_i, q, k_base, v_base, KeyMask, batch, stride_ks, stride_kd, stride_vs, stride_vd, stride_mb, stride_ms,
    start_n, offs_m, offs_n, offs_d, d_ok, q_pos, seq_k, window, scale_log2,
    MASKED: tl.constexpr,
    CAUSAL: tl.constexpr,
    HAS_WINDOW: tl.constexpr,
    HAS_KEY_MASK: tl.constexpr,
    FP32_DOT: tl.constexpr,
):
    """One block of keys folded into the running softmax of one block of queries.

    ``MASKED`` blocks are the few that straddle an edge (the causal diagonal, the window's far
    edge, the end of the keys) and need position checks; every other visible block is wholly
    inside the mask, so its loop skips building one (the Triton tutorial's split of the loop).
    """
    keys = start_n + offs_n
    if MASKED:
        k_ok = keys < seq_k
        k = tl.load(k_base + keys[None, :] * stride_ks + offs_d[:, None] * stride_kd,
                    mask=k_ok[None, :] & d_ok[:, None], other=0.0)
    else:
        k = tl.load(k_base + keys[None, :] * stride_ks + offs_d[:, None] * stride_kd, mask=d_ok[:, None], other=0.0)
    # K is loaded transposed ([D, N]) so the score block is a plain q @ k.
    if FP32_DOT:
        scores = tl.dot(q.to(tl.float32), k.to(tl.float32), input_precision="ieee")
    else:
        scores = tl.dot(q, k)
    scores = scores * scale_log2  # in log2 units, so exp2 below is exp of the real scores
    if MASKED:
        visible = k_ok[None, :] & (offs_m[:, None] >= 0)
        if CAUSAL:
            visible = visible & (keys[None, :] <= q_pos[:, None])
            if HAS_WINDOW:
                visible = visible & (keys[None, :] > q_pos[:, None] - window)
        scores = tl.where(visible, scores, float("-inf"))
    if HAS_KEY_MASK:
        real = tl.load(KeyMask + batch * stride_mb + keys * stride_ms, mask=keys < seq_k, other=0)
        scores = tl.where(real[None, :] != 0, scores, float("-inf"))

    # Online softmax. A row that has seen only masked keys keeps m = -inf; shifting by 0
    # there avoids exp2(-inf - -inf) = NaN and leaves its weights at exactly 0.
    m_new = tl.maximum(m_i, tl.max(scores, 1))
    shift = tl.where(m_new == float("-inf"), 0.0, m_new)
    p = tl.math.exp2(scores - shift[:, None])
    correction = tl.math.exp2(m_i - shift)  # rescales what was accumulated against the old max
    l_i = l_i * correction + tl.sum(p, 1)
    acc = acc * correction[:, None]
    if MASKED:
        v = tl.load(v_base + keys[:, None] * stride_vs + offs_d[None, :] * stride_vd,
                    mask=k_ok[:, None] & d_ok[None, :], other=0.0)
    else:
        v = tl.load(v_base + keys[:, None] * stride_vs + offs_d[None, :] * stride_vd, mask=d_ok[None, :], other=0.0)
    if FP32_DOT:
        acc += tl.dot(p, v.to(tl.float32), input_precision="ieee")
    else:
        acc += tl.dot(p.to(v.dtype), v)
    return acc, l_i, m_new


@triton.jit
def _flash_attention_forward(
    Q, K, V, Out, KeyMask,
    stride_qb, stride_qh, stride_qt, stride_qd,
    stride_kb, stride_kh, stride_ks, stride_kd,
    stride_vb, stride_vh, stride_vs, stride_vd,
    stride_ob, stride_oh, stride_ot, stride_od,
    stride_mb, stride_ms,
    num_q_heads, group, seq_q, seq_k, head_dim, window, scale_log2,
    seq_q_bucket, seq_k_bucket,  # powers of two: what the autotuner keys on (see _tuned_forward)
    CAUSAL: tl.constexpr,
    HAS_WINDOW: tl.constexpr,
    HAS_KEY_MASK: tl.constexpr,
    FP32_DOT: tl.constexpr,
    BLOCK_M: tl.constexpr,
    BLOCK_N: tl.constexpr,
    BLOCK_D: tl.constexpr,
):
    block_m = tl.program_id(0)
    batch_head = tl.program_id(1)
    batch = (batch_head // num_q_heads).to(tl.int64)
    head = batch_head % num_q_heads
    kv_head = (head // group).to(tl.int64)
    head = head.to(tl.int64)

    offs_m = block_m * BLOCK_M + tl.arange(0, BLOCK_M)  # query rows of this program
    offs_n = tl.arange(0, BLOCK_N)
    offs_d = tl.arange(0, BLOCK_D)  # head_dim padded to a power of two
    d_ok = offs_d < head_dim
    # Bottom-right alignment: the T queries are the last T of the S key positions.
    q_pos = offs_m + (seq_k - seq_q)

    q_ptrs = Q + batch * stride_qb + head * stride_qh + offs_m[:, None] * stride_qt + offs_d[None, :] * stride_qd
    q = tl.load(q_ptrs, mask=(offs_m[:, None] < seq_q) & d_ok[None, :], other=0.0)
    k_base = K + batch * stride_kb + kv_head * stride_kh
    v_base = V + batch * stride_vb + kv_head * stride_vh

    m_i = tl.full([BLOCK_M], float("-inf"), dtype=tl.float32)
    l_i = tl.zeros([BLOCK_M], dtype=tl.float32)
    acc = tl.zeros([BLOCK_M, BLOCK_D], dtype=tl.float32)

    # The key range splits into three stages:
    #   [lo, mid_lo)   blocks at the window's far edge: some keys already slid out, masked;
    #   [mid_lo, mid_hi) blocks every query of this block sees whole: no mask is built;
    #   [mid_hi, hi)   the causal diagonal and the ragged end of the keys: masked.
    # Blocks before lo (slid out) and after hi (in the future) are never loaded, so causal
    # attention does about half the work.
    first_q = block_m * BLOCK_M + (seq_k - seq_q)  # position of this block's first query
    last_q = first_q + BLOCK_M - 1
    lo = 0
    hi = seq_k
    mid_lo = 0
    mid_hi = (seq_k // BLOCK_N) * BLOCK_N  # whole blocks that lie inside the keys
    if CAUSAL:
        hi = tl.minimum(seq_k, last_q + 1)
        # Whole blocks at or below every query of the block: keys <= first_q.
        mid_hi = tl.minimum(mid_hi, tl.maximum(first_q + 1, 0) // BLOCK_N * BLOCK_N)
        if HAS_WINDOW:
            lo = tl.maximum(0, first_q - window + 1) // BLOCK_N * BLOCK_N
            # Whole blocks every query still sees: keys > last_q - window.
            mid_lo = tl.maximum(0, last_q - window + 1 + BLOCK_N - 1) // BLOCK_N * BLOCK_N
    mid_lo = tl.minimum(tl.maximum(mid_lo, lo), hi)
    mid_hi = tl.maximum(tl.minimum(mid_hi, hi), mid_lo)

    for start_n in range(lo, mid_lo, BLOCK_N):
        acc, l_i, m_i = _attend_block(
            acc, l_i, m_i, q, k_base, v_base, KeyMask, batch, stride_ks, stride_kd, stride_vs, stride_vd,
            stride_mb, stride_ms, start_n, offs_m, offs_n, offs_d, d_ok, q_pos, seq_k, window, scale_log2,
            True, CAUSAL, HAS_WINDOW, HAS_KEY_MASK, FP32_DOT,
        )
    for start_n in range(mid_lo, mid_hi, BLOCK_N):
        acc, l_i, m_i = _attend_block(
            acc, l_i, m_i, q, k_base, v_base, KeyMask, batch, stride_ks, stride_kd, stride_vs, stride_vd,
            stride_mb, stride_ms, start_n, offs_m, offs_n, offs_d, d_ok, q_pos, seq_k, window, scale_log2,
            False, CAUSAL, HAS_WINDOW, HAS_KEY_MASK, FP32_DOT,
        )
    for start_n in range(mid_hi, hi, BLOCK_N):
        acc, l_i, m_i = _attend_block(
            acc, l_i, m_i, q, k_base, v_base, KeyMask, batch, stride_ks, stride_kd, stride_vs, stride_vd,
            stride_mb, stride_ms, start_n, offs_m, offs_n, offs_d, d_ok, q_pos, seq_k, window, scale_log2,
            True, CAUSAL, HAS_WINDOW, HAS_KEY_MASK, FP32_DOT,
        )

    # Rows that saw no key have l == 0 and acc == 0: divide by 1 and return zeros, not NaN.
    out = acc / tl.where(l_i == 0.0, 1.0, l_i)[:, None]
    o_ptrs = Out + batch * stride_ob + head * stride_oh + offs_m[:, None] * stride_ot + offs_d[None, :] * stride_od
    tl.store(o_ptrs, out.to(Out.dtype.element_ty), mask=(offs_m[:, None] < seq_q) & d_ok[None, :])


def _tuning_configs() -> list[triton.Config]:
    """The Triton tutorial's search space, trimmed so a first call tunes in about a second."""
    configs = [
        triton.Config({"BLOCK_M": m, "BLOCK_N": n}, num_warps=w, num_stages=s)
        for m in (64, 128) for n in (32, 64, 128) for w in (4, 8) for s in (2, 3, 4)
    ]
    # Eight warps only pay on big tiles; small tiles with eight warps mostly wait on each other.
    return [c for c in configs if not (c.kwargs["BLOCK_M"] * c.kwargs["BLOCK_N"] < 128 * 128 and c.num_warps == 8)]


def _prune_for_head_dim(configs, named_args, **kwargs):
    # A 128 x 256 fp32 accumulator does not fit in registers: wide heads keep BLOCK_M at 64.
    if named_args.get("head_dim", 0) > 128 or kwargs.get("BLOCK_D", 0) > 128:
        configs = [c for c in configs if c.kwargs["BLOCK_M"] <= 64 and c.kwargs["BLOCK_N"] <= 64] or configs
    return configs


# The autotuned launch, used on CUDA when the caller does not fix the block sizes. Its key is
# the power-of-two buckets of the lengths, not the lengths: a decode loop grows seq_k by one per
# step and would otherwise re-tune at every step.
_tuned_forward = triton.autotune(
    configs=_tuning_configs(),
    key=["seq_q_bucket", "seq_k_bucket", "head_dim", "CAUSAL", "HAS_WINDOW", "HAS_KEY_MASK", "FP32_DOT"],
    prune_configs_by={"early_config_prune": _prune_for_head_dim},
)(_flash_attention_forward)


def interpreter_enabled() -> bool:
    """True when this module's kernel runs in Triton's CPU interpreter rather than compiled."""
    from triton.runtime.interpreter import InterpretedFunction

    return isinstance(_flash_attention_forward, InterpretedFunction)


SUPPORTED_DTYPES = (torch.float16, torch.bfloat16, torch.float32)


def triton_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    masking: Masking = Masking(),
    *,
    scale: float | None = None,
    block_m: int | None = None,
    block_n: int | None = None,
) -> torch.Tensor:
    """Launch the kernel. Shapes and masks as in ``engine.core.attention.attention`` (which validates them).

    On a GPU the block sizes, warps and pipeline stages are autotuned per shape bucket unless
    ``block_m`` / ``block_n`` fix them; under the interpreter, where every block is a numpy
    operation run from Python, blocks are 16 x 16.
    """
    if q.dtype not in SUPPORTED_DTYPES:
        raise ValueError(f"the triton backend supports float16, bfloat16 and float32, got {q.dtype}")
    interpreted = interpreter_enabled()
    if q.device.type != "cuda" and not interpreted:
        raise RuntimeError(
            "the triton backend needs CUDA tensors; on a CPU it only runs under Triton's interpreter "
            "(set TRITON_INTERPRET=1 before engine.kernels.flash_attention is first imported)"
        )
    if interpreted:
        let_the_interpreter_index_with_numpy_2_4()
    causal, window, key_padding_mask = masking.causal, masking.window, masking.key_padding_mask
    b, hq, t, d = q.shape
    hkv, s = k.shape[1], k.shape[2]
    if scale is None:
        scale = 1.0 / math.sqrt(d)
    block_d = max(16, triton.next_power_of_2(d))  # tl.dot needs every dimension >= 16

    out = torch.empty_like(q)
    if key_padding_mask is not None:
        key_mask = key_padding_mask.to(torch.int8)
        mask_strides = key_mask.stride()
    else:
        key_mask = q  # never read: HAS_KEY_MASK is False, but the kernel needs some pointer
        mask_strides = (0, 0)
    args = (
        q, k, v, out, key_mask,
        *q.stride(), *k.stride(), *v.stride(), *out.stride(), *mask_strides,
        hq, hq // hkv, t, s, d, window or 0, scale * LOG2_E,
        triton.next_power_of_2(t), triton.next_power_of_2(s),
    )
    flags = dict(
        CAUSAL=causal,
        HAS_WINDOW=window is not None,
        HAS_KEY_MASK=key_padding_mask is not None,
        # fp32 inputs get exact fp32 dots (a GPU would otherwise use TF32, ~1e-3 error). The
        # interpreter computes tl.dot with numpy, which has no bfloat16, so bf16 goes through fp32 there.
        FP32_DOT=q.dtype == torch.float32 or (interpreted and q.dtype == torch.bfloat16),
        BLOCK_D=block_d,
    )
    if interpreted or block_m or block_n:
        # Fixed blocks: 16 x 16 under the interpreter (every block is numpy run from Python), else what
        # the caller asked for, with 64 as the default for the other side.
        block_m = block_m or (16 if interpreted else 64)
        block_n = block_n or (16 if interpreted else 64)
        grid = (triton.cdiv(t, block_m), b * hq)
        _flash_attention_forward[grid](*args, **flags, BLOCK_M=block_m, BLOCK_N=block_n, num_warps=4 if block_d <= 64 else 8)
    else:
        grid = lambda meta: (triton.cdiv(t, meta["BLOCK_M"]), b * hq)  # noqa: E731
        _tuned_forward[grid](*args, **flags)
    return out
