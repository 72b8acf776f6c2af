"""Masks the diagonal as well (triu with diagonal=0): a query cannot see its own key."""
import math

import torch
from torch import Tensor


def attention(q: Tensor, k: Tensor, v: Tensor, causal: bool = True) -> Tensor:
    t, s, d = q.shape[-2], k.shape[-2], q.shape[-1]
    scores = (q @ k.transpose(-2, -1)) / math.sqrt(d)
    if causal:
        hidden = torch.triu(torch.ones(t, s, dtype=torch.bool), diagonal=s - t)
        scores = scores.masked_fill(hidden, float("-inf"))
    return torch.softmax(scores, dim=-1) @ v
