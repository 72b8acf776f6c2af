"""Keeps exactly k tokens per row: the winners are picked by index, so ties with the k-th value are broken by position."""
import torch
from torch import Tensor


def top_k_filter(logits: Tensor, k: int) -> Tensor:
    k = min(k, logits.size(-1))
    idx = torch.topk(logits, k, dim=-1).indices
    keep = torch.zeros_like(logits, dtype=torch.bool).scatter(-1, idx, True)
    return logits.masked_fill(~keep, float("-inf"))
