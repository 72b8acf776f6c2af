"""Treats each sequence as contiguous from its first block: ignores every table entry after the first."""
import torch
from torch import Tensor


def gather_kv(pool: Tensor, block_table: Tensor, seq_lens: Tensor) -> Tensor:
    num_blocks, block_size, h, d = pool.shape
    length = int(seq_lens.max())
    flat = pool.reshape(num_blocks * block_size, h, d)
    out = torch.zeros(len(seq_lens), h, length, d, dtype=pool.dtype)
    for i, n in enumerate(seq_lens.tolist()):
        if n == 0:
            continue
        start = int(block_table[i, 0]) * block_size
        out[i] = flat[start : start + n].transpose(0, 1)
    return out
