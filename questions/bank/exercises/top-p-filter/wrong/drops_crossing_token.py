"""Keeps tokens while the running total including them is at most p, so the token that crosses p is dropped."""
import torch
from torch import Tensor


def top_p_filter(logits: Tensor, p: float) -> Tensor:
    sorted_logits, order = torch.sort(logits, dim=-1, descending=True)
    running = sorted_logits.softmax(dim=-1).cumsum(dim=-1)
    drop_sorted = running > p
    drop_sorted[..., 0] = False  # at least keep the best token
    drop = drop_sorted.scatter(-1, order, drop_sorted)
    return logits.masked_fill(drop, float("-inf"))
