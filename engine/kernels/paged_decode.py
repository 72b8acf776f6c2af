"""Paged decode attention as one Triton kernel: one query per sequence, keys read through its block table.

The dense path in ``engine.serving.paged_attention`` gathers a sequence's scattered K/V slots
into a contiguous copy before attending; this kernel walks the block table itself, so a decode
step reads each cached key and value once and never writes a copy (vLLM's paged-decode kernel in
miniature). Pool layout as there: ``[num_slots, Hkv, D]``, block ``b`` = rows
``b * block_size .. (b + 1) * block_size - 1``.

It runs compiled on CUDA, and on CPU tensors under Triton's interpreter (``TRITON_INTERPRET=1``
set before the first call in a process).
"""
from __future__ import annotations

import functools
import math
import os

import torch


@functools.cache
def _decode_kernel():
    """Define the kernel on first use: importing Triton is slow, and only this path needs it.

    Triton chooses between compiling and interpreting when a kernel is *defined*, so
    ``TRITON_INTERPRET=1`` must be set before the first call in a process.
    """
    import triton
    import triton.language as tl

    # The same NumPy 2.4 interpreter fix the flash kernel needs: our loop bound is loaded per program.
    from engine.kernels.interpreter import let_the_interpreter_index_with_numpy_2_4

    if os.environ.get("TRITON_INTERPRET") == "1":
        let_the_interpreter_index_with_numpy_2_4()

    @triton.jit
    def kernel(
        Q, K, V, Out, Tables, Lens,
        stride_qb, stride_qh, stride_ks, stride_kh, stride_vs, stride_vh, stride_ob, stride_oh, stride_tb,
        group, head_dim, scale_log2,
        BLOCK_SIZE: tl.constexpr,
        BLOCK_D: tl.constexpr,
    ):
        # One program per (sequence, query head): walk its blocks with an online softmax.
        b = tl.program_id(0)
        h = tl.program_id(1)
        kv_head = h // group
        d = tl.arange(0, BLOCK_D)
        d_ok = d < head_dim
        q = tl.load(Q + b * stride_qb + h * stride_qh + d, mask=d_ok, other=0.0).to(tl.float32)
        length = tl.load(Lens + b)
        m = tl.zeros([], dtype=tl.float32) - float("inf")  # running max (log2 units)
        l = tl.zeros([], dtype=tl.float32)  # running normaliser
        acc = tl.zeros([BLOCK_D], dtype=tl.float32)
        offsets = tl.arange(0, BLOCK_SIZE)
        for i in range(tl.cdiv(length, BLOCK_SIZE)):  # only this sequence's blocks
            block = tl.load(Tables + b * stride_tb + i).to(tl.int64)
            in_seq = i * BLOCK_SIZE + offsets < length
            rows = block * BLOCK_SIZE + offsets  # pool slots of this block's tokens
            k = tl.load(
                K + rows[:, None] * stride_ks + kv_head * stride_kh + d[None, :],
                mask=in_seq[:, None] & d_ok[None, :], other=0.0,
            ).to(tl.float32)
            scores = tl.sum(k * q[None, :], axis=1) * scale_log2  # [BLOCK_SIZE], in log2 units
            scores = tl.where(in_seq, scores, -float("inf"))
            m_new = tl.maximum(m, tl.max(scores, axis=0))
            p = tl.exp2(scores - m_new)
            correction = tl.exp2(m - m_new)
            v = tl.load(
                V + rows[:, None] * stride_vs + kv_head * stride_vh + d[None, :],
                mask=in_seq[:, None] & d_ok[None, :], other=0.0,
            ).to(tl.float32)
            acc = acc * correction + tl.sum(p[:, None] * v, axis=0)
            l = l * correction + tl.sum(p, axis=0)
            m = m_new
        out = acc / l
        tl.store(Out + b * stride_ob + h * stride_oh + d, out.to(Out.dtype.element_ty), mask=d_ok)

    return kernel


def paged_decode_attention_triton(
    q: torch.Tensor,  # [B, H, D]: one decode query per sequence
    key_pool: torch.Tensor,  # [num_slots, Hkv, D]
    value_pool: torch.Tensor,
    block_tables: torch.Tensor,  # [B, max_blocks] int32; entries past a sequence's end are never read
    context_lens: torch.Tensor,  # [B] int32, each >= 1
    block_size: int,
    scale: float | None = None,
) -> torch.Tensor:
    """Single-query attention over each sequence's paged keys, without building a dense copy. Returns [B, H, D]."""
    if block_size < 1 or block_size & (block_size - 1):
        raise ValueError(f"block_size must be a power of two for the Triton kernel, got {block_size}")
    B, H, D = q.shape
    hkv = key_pool.shape[1]
    if H % hkv:
        raise ValueError(f"query heads ({H}) must be a multiple of KV heads ({hkv})")
    if bool((context_lens < 1).any()):
        raise ValueError("context_lens: every sequence needs at least one key")
    q, key_pool, value_pool = q.contiguous(), key_pool.contiguous(), value_pool.contiguous()
    tables = block_tables.to(torch.int32).contiguous()
    lens = context_lens.to(torch.int32).contiguous()
    out = torch.empty_like(q)
    scale = 1.0 / math.sqrt(D) if scale is None else scale
    import triton

    _decode_kernel()[(B, H)](
        q, key_pool, value_pool, out, tables, lens,
        q.stride(0), q.stride(1), key_pool.stride(0), key_pool.stride(1),
        value_pool.stride(0), value_pool.stride(1), out.stride(0), out.stride(1), tables.stride(0),
        H // hkv, D, scale * 1.4426950408889634,  # log2(e): the kernel uses exp2
        BLOCK_SIZE=block_size, BLOCK_D=triton.next_power_of_2(D),
    )
    return out
