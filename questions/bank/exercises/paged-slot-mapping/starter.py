import torch
from torch import Tensor


def slot_mapping(block_table: Tensor, positions: Tensor, block_size: int) -> Tensor:
    """Pool slot of every token: table[i, pos // block_size] * block_size + pos % block_size.

    block_table: [B, max_blocks] int64; positions: [B, T] int64 (-1 = padding, maps to slot -1).
    Returns [B, T] int64.
    """
    raise NotImplementedError
