"""Computes the full N x N score matrix and a plain softmax: right numbers, but O(N^2) memory."""
import math

import torch
from torch import Tensor


def flash_attention(q: Tensor, k: Tensor, v: Tensor, block_size: int = 64) -> Tensor:
    n, d = q.shape[-2], q.shape[-1]
    scores = (q @ k.transpose(-2, -1)) / math.sqrt(d)  # [B, H, N, N]
    future = torch.arange(n)[None, :] > torch.arange(n)[:, None]
    return torch.softmax(scores.masked_fill(future, float("-inf")), dim=-1) @ v
