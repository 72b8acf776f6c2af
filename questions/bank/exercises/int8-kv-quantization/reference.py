import torch
from torch import Tensor


def quantize_kv(x: Tensor) -> tuple[Tensor, Tensor]:
    """Symmetric absmax int8 quantisation with one scale per token per head."""
    x = x.float()
    # One scale per vector along D; the floor keeps all-zero vectors from dividing 0 by 0.
    scale = x.abs().amax(dim=-1, keepdim=True).clamp(min=1e-8) / 127.0  # [B, H, S, 1]
    q = torch.round(x / scale).clamp(-127, 127).to(torch.int8)
    return q, scale
