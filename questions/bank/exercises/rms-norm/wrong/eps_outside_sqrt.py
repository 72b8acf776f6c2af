"""Adds eps after the square root: x / (sqrt(mean(x^2)) + eps)."""
import torch
from torch import Tensor


def rms_norm(x: Tensor, weight: Tensor, eps: float = 1e-6) -> Tensor:
    work = torch.promote_types(x.dtype, torch.float32)
    xw = x.to(work)
    rms = xw.pow(2).mean(dim=-1, keepdim=True).sqrt()
    return (xw / (rms + eps) * weight.to(work)).to(x.dtype)
