import math

import torch
from torch import Tensor


def attention(q: Tensor, k: Tensor, v: Tensor, causal: bool = True) -> Tensor:
    """softmax(q k^T / sqrt(D) + mask) v; causal queries are the last T of the S positions."""
    t, s, d = q.shape[-2], k.shape[-2], q.shape[-1]
    scores = (q @ k.transpose(-2, -1)) / math.sqrt(d)  # [B, H, T, S]
    if causal:
        query_pos = torch.arange(t).unsqueeze(1) + (s - t)  # [T, 1]: absolute positions of the queries
        key_pos = torch.arange(s).unsqueeze(0)  # [1, S]
        scores = scores.masked_fill(key_pos > query_pos, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    return weights @ v
