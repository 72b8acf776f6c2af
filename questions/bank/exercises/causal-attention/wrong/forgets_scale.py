"""Forgets the 1/sqrt(D) scale: the softmax is far too peaked."""
import torch
from torch import Tensor


def attention(q: Tensor, k: Tensor, v: Tensor, causal: bool = True) -> Tensor:
    t, s = q.shape[-2], k.shape[-2]
    scores = q @ k.transpose(-2, -1)
    if causal:
        query_pos = torch.arange(t).unsqueeze(1) + (s - t)
        scores = scores.masked_fill(torch.arange(s).unsqueeze(0) > query_pos, float("-inf"))
    return torch.softmax(scores, dim=-1) @ v
