import torch
from torch import Tensor


def gather_kv(pool: Tensor, block_table: Tensor, seq_lens: Tensor) -> Tensor:
    block_size = pool.shape[1]
    length = int(seq_lens.max())
    p = torch.arange(length)  # token positions 0..L-1
    # Physical block of every (sequence, position); -1 padding entries read block 0 and are zeroed below.
    physical = block_table.clamp(min=0)[:, p // block_size]  # [B, L]
    slots = physical * block_size + p % block_size  # row of the pool seen as [num_blocks * block_size, H, D]
    dense = pool.flatten(0, 1)[slots]  # [B, L, H, D]
    real = p[None, :] < seq_lens[:, None]  # [B, L]
    dense = dense.masked_fill(~real[:, :, None, None], 0)
    return dense.transpose(1, 2)  # [B, H, L, D]
