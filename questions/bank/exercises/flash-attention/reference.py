import math

import torch
from torch import Tensor


def flash_attention(q: Tensor, k: Tensor, v: Tensor, block_size: int = 64) -> Tensor:
    """Causal attention, one block of scores at a time (the online softmax); q, k, v: [B, H, N, D]."""
    b, h, n, d = q.shape
    out = torch.empty_like(q)
    for q_start in range(0, n, block_size):
        q_end = min(q_start + block_size, n)
        q_block = q[:, :, q_start:q_end] / math.sqrt(d)
        rows = q_end - q_start
        # Running statistics per query row: the largest score so far, the sum of exp(score - max),
        # and the values weighted by exp(score - max): the softmax's numerator, still unnormalised.
        row_max = torch.full((b, h, rows, 1), float("-inf"), dtype=q.dtype)
        row_sum = torch.zeros((b, h, rows, 1), dtype=q.dtype)
        acc = torch.zeros((b, h, rows, d), dtype=q.dtype)
        for k_start in range(0, q_end, block_size):  # keys after the block's last query are all masked
            k_end = min(k_start + block_size, n)
            scores = q_block @ k[:, :, k_start:k_end].transpose(-2, -1)  # [B, H, rows, keys]
            if k_end > q_start + 1:  # the block reaches past some query: hide each query's future keys
                future = torch.arange(k_start, k_end)[None, :] > torch.arange(q_start, q_end)[:, None]
                scores = scores.masked_fill(future, float("-inf"))
            new_max = torch.maximum(row_max, scores.amax(dim=-1, keepdim=True))
            weights = torch.exp(scores - new_max)
            # What was summed so far was relative to the old maximum: rescale it to the new one.
            correction = torch.exp(row_max - new_max)
            row_sum = row_sum * correction + weights.sum(dim=-1, keepdim=True)
            acc = acc * correction + weights @ v[:, :, k_start:k_end]
            row_max = new_max
        out[:, :, q_start:q_end] = acc / row_sum
    return out
