"""Copies every row of every used block, so the unfilled tail of the last block leaks stale pool data."""
import math

import torch
from torch import Tensor


def gather_kv(pool: Tensor, block_table: Tensor, seq_lens: Tensor) -> Tensor:
    _, block_size, h, d = pool.shape
    length = int(seq_lens.max())
    width = math.ceil(length / block_size) * block_size
    out = torch.zeros(len(seq_lens), h, width, d, dtype=pool.dtype)
    for i, n in enumerate(seq_lens.tolist()):
        for j in range(math.ceil(n / block_size)):
            block = int(block_table[i, j])
            out[i, :, j * block_size : (j + 1) * block_size] = pool[block].transpose(0, 1)
    return out[:, :, :length]
