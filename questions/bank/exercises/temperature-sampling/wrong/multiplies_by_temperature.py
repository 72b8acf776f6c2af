"""Multiplies the logits by the temperature instead of dividing, inverting its effect."""
import torch
from torch import Tensor


def sample_token(logits: Tensor, temperature: float, u: Tensor) -> Tensor:
    if temperature == 0:
        return logits.argmax(dim=-1)
    probs = (logits * temperature).softmax(dim=-1)
    cdf = probs.cumsum(dim=-1)
    idx = torch.searchsorted(cdf, u[:, None].to(cdf.dtype), right=True)[:, 0]
    return idx.clamp(max=logits.size(-1) - 1)
