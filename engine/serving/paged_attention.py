"""Attention that reads keys and values through a block table (PagedAttention).

A paged KV cache keeps every token's key/value in one big pool of fixed-size blocks; a sequence
owns a list of block ids (its *block table*), not a contiguous slab. Token ``p`` of a sequence
lives in pool *slot* ``table[p // block_size] * block_size + p % block_size``.

Two ways to attend through that indirection:

``gather_kv`` + any dense attention (torch, any device)
    Copy the slots a batch needs into a left-padded ``[B, Hkv, S, D]`` tensor and run the
    ordinary attention with a key-padding mask. Simple and exact; costs one gather per layer.
``engine.kernels.paged_decode.paged_decode_attention_triton`` (CUDA, or CPU under ``TRITON_INTERPRET=1``)
    One decode query per sequence; the kernel walks the block table itself and never builds the
    dense copy (vLLM's paged-decode kernel in miniature).

Pool layout (one layer, keys or values): ``[num_slots, Hkv, D]`` with
``num_slots = num_blocks * block_size``, so a block is ``block_size`` consecutive rows.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from engine.core.attention import attention

PAD_SLOT = -1  # a column of a read/write plan that holds no token


def token_slots(block_table: Sequence[int], start: int, end: int, block_size: int) -> list[int]:
    """Pool slots of tokens ``start .. end-1`` of a sequence with this block table."""
    if end > len(block_table) * block_size:
        raise ValueError(f"tokens up to {end} need {math.ceil(end / block_size)} blocks; the table has {len(block_table)}")
    return [block_table[p // block_size] * block_size + p % block_size for p in range(start, end)]


def gather_kv(pool: torch.Tensor, read_slots: torch.Tensor) -> torch.Tensor:
    """Dense ``[B, Hkv, S, D]`` keys (or values) from a pool ``[num_slots, Hkv, D]``.

    ``read_slots`` is ``[B, S]``; ``PAD_SLOT`` columns read slot 0 and must be masked by the caller.
    """
    return pool[read_slots.clamp(min=0)].transpose(1, 2)  # [B, S, Hkv, D] -> [B, Hkv, S, D]


def scatter_kv(pool: torch.Tensor, write_slots: torch.Tensor, new: torch.Tensor) -> None:
    """Write new keys (or values) ``[B, Hkv, T, D]`` into the pool at ``write_slots`` ``[B, T]``; pads are skipped."""
    rows = new.transpose(1, 2)  # [B, T, Hkv, D]
    real = write_slots >= 0
    if bool(real.all()):
        pool.index_copy_(0, write_slots.reshape(-1), rows.reshape(-1, *rows.shape[2:]))
    else:
        pool.index_copy_(0, write_slots[real], rows[real])


def read_plan(block_tables: Sequence[Sequence[int]], context_lens: Sequence[int], block_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Slots ``[B, S]`` and key-padding mask ``[B, S]`` for left-padded reads of whole contexts."""
    width = max(context_lens)
    slots = torch.full((len(context_lens), width), PAD_SLOT, dtype=torch.long)
    for row, (table, n) in enumerate(zip(block_tables, context_lens)):
        if n:
            slots[row, width - n :] = torch.tensor(token_slots(table, 0, n, block_size))
    return slots, slots >= 0


def paged_attention(
    q: torch.Tensor,  # [B, H, T, D]: the last T positions of each context
    key_pool: torch.Tensor,  # [num_slots, Hkv, D]
    value_pool: torch.Tensor,
    block_tables: Sequence[Sequence[int]],
    context_lens: Sequence[int],  # keys per sequence, the T query positions included
    block_size: int,
    backend: str = "sdpa",
) -> torch.Tensor:
    """Causal attention of each sequence's last T queries over its paged context (gather, then dense)."""
    slots, mask = read_plan(block_tables, context_lens, block_size)
    slots, mask = slots.to(q.device), mask.to(q.device)
    k, v = gather_kv(key_pool, slots), gather_kv(value_pool, slots)
    return attention(q, k, v, causal=True, key_padding_mask=mask, backend=backend)
