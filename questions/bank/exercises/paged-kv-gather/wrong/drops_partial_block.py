"""Uses n // block_size blocks per sequence, so a partly filled last block is never copied."""
import torch
from torch import Tensor


def gather_kv(pool: Tensor, block_table: Tensor, seq_lens: Tensor) -> Tensor:
    _, block_size, h, d = pool.shape
    length = int(seq_lens.max())
    out = torch.zeros(len(seq_lens), h, length, d, dtype=pool.dtype)
    for i, n in enumerate(seq_lens.tolist()):
        for j in range(n // block_size):
            block = int(block_table[i, j])
            out[i, :, j * block_size : (j + 1) * block_size] = pool[block].transpose(0, 1)
    return out
