"""Reduces over rows (dim 0) and so gets one scale per input channel (column) instead of per output channel."""
import torch
from torch import Tensor


def quantize_per_channel(w: Tensor) -> tuple[Tensor, Tensor]:
    w = w.float()
    scale = w.abs().amax(dim=0).clamp(min=1e-12) / 127.0  # [in]
    q = torch.round(w / scale[None, :]).clamp(-127, 127).to(torch.int8)
    return q, scale
