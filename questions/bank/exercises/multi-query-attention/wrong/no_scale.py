"""Forgets to divide the scores by sqrt(D)."""
import torch
from torch import Tensor


def mqa_forward(x: Tensor, w_q: Tensor, w_k: Tensor, w_v: Tensor, w_o: Tensor, n_heads: int) -> Tensor:
    b, t, _ = x.shape
    d = w_k.shape[1]
    q = (x @ w_q).view(b, t, n_heads, d).transpose(1, 2)
    k = (x @ w_k).unsqueeze(1)
    v = (x @ w_v).unsqueeze(1)
    scores = q @ k.transpose(-2, -1)
    scores = scores.masked_fill(torch.ones(t, t, dtype=torch.bool).triu(diagonal=1), float("-inf"))
    out = scores.softmax(dim=-1) @ v
    return out.transpose(1, 2).reshape(b, t, n_heads * d) @ w_o
