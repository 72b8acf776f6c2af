"""Keeps a running maximum but never rescales the sum and accumulator when the maximum grows."""
import math

import torch
from torch import Tensor


def flash_attention(q: Tensor, k: Tensor, v: Tensor, block_size: int = 64) -> Tensor:
    b, h, n, d = q.shape
    out = torch.empty_like(q)
    for q_start in range(0, n, block_size):
        q_end = min(q_start + block_size, n)
        q_block = q[:, :, q_start:q_end] / math.sqrt(d)
        rows = q_end - q_start
        row_max = torch.full((b, h, rows, 1), float("-inf"), dtype=q.dtype)
        row_sum = torch.zeros((b, h, rows, 1), dtype=q.dtype)
        acc = torch.zeros((b, h, rows, d), dtype=q.dtype)
        for k_start in range(0, q_end, block_size):
            k_end = min(k_start + block_size, n)
            scores = q_block @ k[:, :, k_start:k_end].transpose(-2, -1)
            future = torch.arange(k_start, k_end)[None, :] > torch.arange(q_start, q_end)[:, None]
            scores = scores.masked_fill(future, float("-inf"))
            row_max = torch.maximum(row_max, scores.amax(dim=-1, keepdim=True))
            weights = torch.exp(scores - row_max)
            row_sum = row_sum + weights.sum(dim=-1, keepdim=True)
            acc = acc + weights @ v[:, :, k_start:k_end]
        out[:, :, q_start:q_end] = acc / row_sum
    return out
