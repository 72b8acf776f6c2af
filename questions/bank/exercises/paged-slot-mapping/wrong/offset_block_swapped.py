"""Scales the offset instead of the block: physical + offset * block_size."""
import torch
from torch import Tensor


def slot_mapping(block_table: Tensor, positions: Tensor, block_size: int) -> Tensor:
    pad = positions < 0
    pos = positions.clamp(min=0)
    physical = block_table.gather(1, pos // block_size)
    slots = physical + (pos % block_size) * block_size
    return torch.where(pad, torch.full_like(slots, -1), slots)
