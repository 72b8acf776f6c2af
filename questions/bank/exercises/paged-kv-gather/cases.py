"""Hidden tests for paged-kv-gather. Oracle: the engine's slot arithmetic and gather (engine.serving.paged_attention)."""
import math

import torch

from questions.exercises.cases import Case


def _paged(g, seq_lens, block_size, heads, dim, dtype, *, scattered=True, spare=3, share_prefix_blocks=0, arange_pool=False):
    """A pool and block tables for ``seq_lens``; blocks come from a shuffled free list unless ``scattered`` is False.

    ``share_prefix_blocks``: every sequence reuses the first sequence's first N blocks (a shared prompt).
    Spare blocks and the tails of last blocks hold random data, so reading them shows up.
    """
    needed = [math.ceil(n / block_size) for n in seq_lens]
    own = [max(0, k - share_prefix_blocks) if i else k for i, k in enumerate(needed)]
    num_blocks = sum(own) + spare
    free = torch.randperm(num_blocks, generator=g).tolist() if scattered else list(range(num_blocks))
    table = torch.full((len(seq_lens), max(max(needed), 1)), -1, dtype=torch.long)
    for i, k in enumerate(needed):
        for j in range(k):
            if i and j < share_prefix_blocks:
                table[i, j] = table[0, j]
            else:
                table[i, j] = free.pop(0)
    shape = (num_blocks, block_size, heads, dim)
    if arange_pool:
        pool = torch.arange(math.prod(shape), dtype=dtype).reshape(shape)
    else:
        pool = torch.randn(shape, generator=g, dtype=dtype)
    return pool, table, torch.tensor(seq_lens, dtype=torch.long)


def cases(seed: int) -> list[Case]:
    g = torch.Generator().manual_seed(seed)
    large_lens = torch.randint(1, 513, (32,), generator=g).tolist()
    return [
        Case("two-sequences-small", args=_paged(g, [6, 3], 4, 1, 2, torch.float32, arange_pool=True), visible=True,
             explain="Two short sequences in shuffled blocks of 4; pool values count up, so each copied row is recognisable."),
        Case("one-full-block", args=_paged(g, [4], 4, 2, 3, torch.float64, spare=1, arange_pool=True), visible=True,
             explain="A single sequence that fills exactly one block."),
        Case("scattered-blocks", args=_paged(g, [8, 16, 12], 4, 2, 8, torch.float64, spare=5),
             explain="Whole blocks handed out in shuffled order: each table entry must be looked up, not assumed consecutive."),
        Case("partial-last-block", args=_paged(g, [37, 5, 20], 16, 2, 4, torch.float32, scattered=False),
             explain="Lengths that end inside a block (37 tokens use three 16-token blocks); rows past the length must be zero."),
        Case("shorter-than-one-block", args=_paged(g, [3, 7], 8, 1, 4, torch.float32),
             explain="Every sequence is shorter than one block, so all its tokens sit in a partly filled block."),
        Case("block-size-one", args=_paged(g, [5, 2, 4], 1, 3, 2, torch.float64),
             explain="With one token per block every position has its own table entry."),
        Case("shared-prefix-blocks", args=_paged(g, [24, 30, 19], 8, 2, 4, torch.float32, share_prefix_blocks=2),
             explain="Three sequences point at the same two prefix blocks, then continue in blocks of their own."),
        Case("empty-sequence", args=_paged(g, [0, 9, 0], 4, 2, 2, torch.float32),
             explain="A sequence of length 0 has only -1 table entries and comes back all zeros."),
        Case("large-many-sequences", args=_paged(g, large_lens, 16, 8, 64, torch.float32, spare=16),
             explain="32 sequences of up to 512 tokens in a shuffled pool of 16-token blocks."),
    ]


def expected(case: Case):
    from engine.serving.paged_attention import PAD_SLOT, gather_kv, token_slots

    pool, table, seq_lens = case.args
    num_blocks, block_size, heads, dim = pool.shape
    width = int(seq_lens.max())
    slots = torch.full((len(seq_lens), width), PAD_SLOT, dtype=torch.long)
    for row, n in enumerate(seq_lens.tolist()):
        if n:
            blocks = table[row, : math.ceil(n / block_size)].tolist()
            slots[row, :n] = torch.tensor(token_slots(blocks, 0, n, block_size))
    dense = gather_kv(pool.reshape(num_blocks * block_size, heads, dim), slots)  # [B, H, L, D]
    return dense.masked_fill((slots == PAD_SLOT)[:, None, :, None], 0)
