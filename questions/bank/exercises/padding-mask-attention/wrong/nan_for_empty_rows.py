"""Masks the right keys but leaves softmax's NaN in rows that have no real key at all."""
import math

import torch
from torch import Tensor


def masked_attention(q: Tensor, k: Tensor, v: Tensor, key_padding_mask: Tensor) -> Tensor:
    scores = (q @ k.transpose(-1, -2)) / math.sqrt(q.shape[-1])
    keep = key_padding_mask[:, None, None, :]
    weights = torch.softmax(scores.masked_fill(~keep, float("-inf")), dim=-1)
    return weights @ v
