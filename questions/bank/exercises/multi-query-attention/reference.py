import math

import torch
from torch import Tensor


def mqa_forward(x: Tensor, w_q: Tensor, w_k: Tensor, w_v: Tensor, w_o: Tensor, n_heads: int) -> Tensor:
    b, t, _ = x.shape
    d = w_k.shape[1]  # head dimension
    q = (x @ w_q).view(b, t, n_heads, d).transpose(1, 2)  # [B, H, T, D]
    k = (x @ w_k).unsqueeze(1)  # [B, 1, T, D]: one key head, broadcast over the H query heads
    v = (x @ w_v).unsqueeze(1)  # [B, 1, T, D]

    scores = q @ k.transpose(-2, -1) / math.sqrt(d)  # [B, H, T, T]
    future = torch.ones(t, t, dtype=torch.bool).triu(diagonal=1)
    scores = scores.masked_fill(future, float("-inf"))
    out = scores.softmax(dim=-1) @ v  # [B, H, T, D]

    out = out.transpose(1, 2).reshape(b, t, n_heads * d)  # heads back next to each other per token
    return out @ w_o
