"""Shares KV heads with Tensor.repeat (tiled order 0, 1, 0, 1, ...) instead of repeat_interleave."""
import math

import torch
from torch import Tensor


def gqa_attention(q: Tensor, k: Tensor, v: Tensor) -> Tensor:
    t, d = q.shape[2], q.shape[3]
    s = k.shape[2]
    n_rep = q.shape[1] // k.shape[1]
    k = k.repeat(1, n_rep, 1, 1)
    v = v.repeat(1, n_rep, 1, 1)
    scores = (q @ k.transpose(-1, -2)) / math.sqrt(d)
    future = torch.arange(s)[None, :] > torch.arange(s - t, s)[:, None]
    return torch.softmax(scores.masked_fill(future, float("-inf")), dim=-1) @ v
