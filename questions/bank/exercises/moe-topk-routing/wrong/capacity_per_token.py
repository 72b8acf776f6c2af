"""Counts assignments per token rather than per expert, so an overloaded expert keeps everything."""
import torch
from torch import Tensor


def route(router_logits: Tensor, k: int, capacity: int) -> tuple[Tensor, Tensor, Tensor]:
    t, _ = router_logits.shape
    top_logits, expert_ids = router_logits.topk(k, dim=-1)
    weights = top_logits.softmax(dim=-1)
    keep = torch.zeros(t, k, dtype=torch.bool)
    used = [0] * t
    for j in range(k):
        for token in range(t):
            used[token] += 1  # should be a counter for expert_ids[token, j]
            keep[token, j] = used[token] <= capacity
    return expert_ids, weights, keep
