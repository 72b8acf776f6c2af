import torch
from torch import Tensor


def rms_norm(x: Tensor, weight: Tensor, eps: float = 1e-6) -> Tensor:
    """Root-mean-square normalisation over the last axis, times a learned gain.

    x: [..., D] float16 / bfloat16 / float32 / float64. weight: [D], same dtype.
    Returns x / sqrt(mean(x**2, last axis) + eps) * weight, in x's dtype and shape.
    """
    raise NotImplementedError
