"""Subtracts the row mean before normalising: that is LayerNorm (without bias), not RMSNorm."""
import torch
from torch import Tensor


def rms_norm(x: Tensor, weight: Tensor, eps: float = 1e-6) -> Tensor:
    work = torch.promote_types(x.dtype, torch.float32)
    xw = x.to(work)
    centred = xw - xw.mean(dim=-1, keepdim=True)
    inv_std = torch.rsqrt(centred.pow(2).mean(dim=-1, keepdim=True) + eps)
    return (centred * inv_std * weight.to(work)).to(x.dtype)
