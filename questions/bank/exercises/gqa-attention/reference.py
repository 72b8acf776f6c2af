import math

import torch
from torch import Tensor


def gqa_attention(q: Tensor, k: Tensor, v: Tensor) -> Tensor:
    """Causal GQA: query head h reads KV head h // n_rep; query i sits at position S - T + i."""
    t, d = q.shape[2], q.shape[3]
    s = k.shape[2]
    n_rep = q.shape[1] // k.shape[1]
    # Grouped order (0, 0, 1, 1, ...): consecutive query heads share one KV head.
    k = k.repeat_interleave(n_rep, dim=1)  # [B, Hq, S, D]
    v = v.repeat_interleave(n_rep, dim=1)
    scores = (q @ k.transpose(-1, -2)) / math.sqrt(d)  # [B, Hq, T, S]
    query_pos = torch.arange(s - t, s, device=q.device)[:, None]  # the queries are the last T positions
    key_pos = torch.arange(s, device=q.device)[None, :]
    scores = scores.masked_fill(key_pos > query_pos, float("-inf"))
    return torch.softmax(scores, dim=-1) @ v
