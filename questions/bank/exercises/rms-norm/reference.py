import torch
from torch import Tensor


def rms_norm(x: Tensor, weight: Tensor, eps: float = 1e-6) -> Tensor:
    """x / sqrt(mean(x^2) + eps) * weight over the last axis; statistics in float32 at least."""
    # float16 squares overflow past ~256, so work in float32 (float64 input keeps float64).
    work = torch.promote_types(x.dtype, torch.float32)
    xw = x.to(work)
    inv_rms = torch.rsqrt(xw.pow(2).mean(dim=-1, keepdim=True) + eps)  # [..., 1]
    return (xw * inv_rms * weight.to(work)).to(x.dtype)
