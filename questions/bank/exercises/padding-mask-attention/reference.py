import math

import torch
from torch import Tensor


def masked_attention(q: Tensor, k: Tensor, v: Tensor, key_padding_mask: Tensor) -> Tensor:
    """Non-causal attention that gives padded keys (mask False) zero weight; empty rows are zeros."""
    scores = (q @ k.transpose(-1, -2)) / math.sqrt(q.shape[-1])  # [B, H, T, S]
    keep = key_padding_mask[:, None, None, :]  # [B, 1, 1, S]: per key, for every head and query
    weights = torch.softmax(scores.masked_fill(~keep, float("-inf")), dim=-1)
    # A row with no real key is softmax over nothing (0/0 = NaN): define it as zero weight.
    weights = weights.masked_fill(~keep.any(dim=-1, keepdim=True), 0.0)
    return weights @ v
