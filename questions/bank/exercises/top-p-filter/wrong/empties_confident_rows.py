"""Shifts the removal mask right by one but does not clear position 0, so a top token above p removes everything."""
import torch
from torch import Tensor


def top_p_filter(logits: Tensor, p: float) -> Tensor:
    sorted_logits, order = torch.sort(logits, dim=-1, descending=True)
    running = sorted_logits.softmax(dim=-1).cumsum(dim=-1)
    drop_sorted = running > p
    drop_sorted[..., 1:] = drop_sorted[..., :-1].clone()  # keep the token that crosses p
    drop = drop_sorted.scatter(-1, order, drop_sorted)
    return logits.masked_fill(drop, float("-inf"))
