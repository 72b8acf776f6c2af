"""Anchors the causal triangle at the top left (tril of a T x S matrix): wrong whenever T < S."""
import math

import torch
from torch import Tensor


def attention(q: Tensor, k: Tensor, v: Tensor, causal: bool = True) -> Tensor:
    t, s, d = q.shape[-2], k.shape[-2], q.shape[-1]
    scores = (q @ k.transpose(-2, -1)) / math.sqrt(d)
    if causal:
        allowed = torch.tril(torch.ones(t, s, dtype=torch.bool))
        scores = scores.masked_fill(~allowed, float("-inf"))
    return torch.softmax(scores, dim=-1) @ v
