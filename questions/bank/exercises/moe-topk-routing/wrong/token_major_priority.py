"""Fills expert buffers token by token, so a token's second choice is served before later first choices."""
import torch
from torch import Tensor


def route(router_logits: Tensor, k: int, capacity: int) -> tuple[Tensor, Tensor, Tensor]:
    t, e = router_logits.shape
    top_logits, expert_ids = router_logits.topk(k, dim=-1)
    weights = top_logits.softmax(dim=-1)
    order = expert_ids.reshape(-1)  # token 0's choices, then token 1's, ...
    one_hot = torch.nn.functional.one_hot(order, e)
    count = (one_hot.cumsum(dim=0) * one_hot).sum(dim=-1)
    keep = (count <= capacity).reshape(t, k)
    return expert_ids, weights, keep
