import torch
from torch import Tensor


def quantize_kv(x: Tensor) -> tuple[Tensor, Tensor]:
    """Symmetric absmax int8 quantisation with one scale per token per head.

    x: [B, H, S, D] (any float dtype; compute in float32).
    Returns (q int8 [B, H, S, D], scale float32 [B, H, S, 1]) with
    scale = max(absmax over D, 1e-8) / 127 and q = clamp(round(x / scale), -127, 127).
    """
    raise NotImplementedError
