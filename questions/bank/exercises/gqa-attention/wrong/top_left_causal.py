"""Uses a top-left aligned causal mask (query i sees keys 0..i), wrong whenever T < S."""
import math

import torch
from torch import Tensor


def gqa_attention(q: Tensor, k: Tensor, v: Tensor) -> Tensor:
    t, d = q.shape[2], q.shape[3]
    s = k.shape[2]
    n_rep = q.shape[1] // k.shape[1]
    k = k.repeat_interleave(n_rep, dim=1)
    v = v.repeat_interleave(n_rep, dim=1)
    scores = (q @ k.transpose(-1, -2)) / math.sqrt(d)
    future = torch.triu(torch.ones(t, s, dtype=torch.bool), diagonal=1)
    return torch.softmax(scores.masked_fill(future, float("-inf")), dim=-1) @ v
