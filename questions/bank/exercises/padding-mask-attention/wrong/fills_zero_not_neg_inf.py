"""Masks padded keys by setting their scores to 0 instead of -inf, so they keep softmax weight."""
import math

import torch
from torch import Tensor


def masked_attention(q: Tensor, k: Tensor, v: Tensor, key_padding_mask: Tensor) -> Tensor:
    scores = (q @ k.transpose(-1, -2)) / math.sqrt(q.shape[-1])
    keep = key_padding_mask[:, None, None, :]
    weights = torch.softmax(scores.masked_fill(~keep, 0.0), dim=-1)
    weights = weights.masked_fill(~keep.any(dim=-1, keepdim=True), 0.0)
    return weights @ v
