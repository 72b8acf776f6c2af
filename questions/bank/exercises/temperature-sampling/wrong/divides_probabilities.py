"""Divides the probabilities by the temperature and renormalises, which cancels: temperature has no effect."""
import torch
from torch import Tensor


def sample_token(logits: Tensor, temperature: float, u: Tensor) -> Tensor:
    if temperature == 0:
        return logits.argmax(dim=-1)
    probs = logits.softmax(dim=-1) / temperature
    probs = probs / probs.sum(dim=-1, keepdim=True)
    cdf = probs.cumsum(dim=-1)
    idx = torch.searchsorted(cdf, u[:, None].to(cdf.dtype), right=True)[:, 0]
    return idx.clamp(max=logits.size(-1) - 1)
