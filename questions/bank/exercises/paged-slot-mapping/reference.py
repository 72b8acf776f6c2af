import torch
from torch import Tensor


def slot_mapping(block_table: Tensor, positions: Tensor, block_size: int) -> Tensor:
    pad = positions < 0
    pos = positions.clamp(min=0)  # pads borrow position 0 so every index below is legal
    physical = block_table.gather(1, pos // block_size)  # [B, T]: table[i, logical block of token t]
    slots = physical * block_size + pos % block_size
    return torch.where(pad, torch.full_like(slots, -1), slots)
