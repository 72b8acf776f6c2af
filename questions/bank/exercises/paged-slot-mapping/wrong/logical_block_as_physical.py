"""Skips the block table: the logical block index is used as the physical block."""
import torch
from torch import Tensor


def slot_mapping(block_table: Tensor, positions: Tensor, block_size: int) -> Tensor:
    pad = positions < 0
    pos = positions.clamp(min=0)
    slots = (pos // block_size) * block_size + pos % block_size
    return torch.where(pad, torch.full_like(slots, -1), slots)
