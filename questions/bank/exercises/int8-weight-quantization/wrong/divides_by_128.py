"""Divides the absmax by 128, so the largest weight of each row needs code 128 and is clipped to 127."""
import torch
from torch import Tensor


def quantize_per_channel(w: Tensor) -> tuple[Tensor, Tensor]:
    w = w.float()
    scale = w.abs().amax(dim=1).clamp(min=1e-12) / 128.0
    q = torch.round(w / scale[:, None]).clamp(-127, 127).to(torch.int8)
    return q, scale
