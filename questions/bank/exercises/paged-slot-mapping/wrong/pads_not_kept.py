"""Treats padding like any position, so -1 indexes the table's last column and yields a real slot."""
import torch
from torch import Tensor


def slot_mapping(block_table: Tensor, positions: Tensor, block_size: int) -> Tensor:
    out = torch.empty_like(positions)
    for i in range(positions.shape[0]):
        for t in range(positions.shape[1]):
            pos = int(positions[i, t])
            out[i, t] = int(block_table[i, pos // block_size]) * block_size + pos % block_size
    return out
