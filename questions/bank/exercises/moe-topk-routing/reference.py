import torch
from torch import Tensor


def route(router_logits: Tensor, k: int, capacity: int) -> tuple[Tensor, Tensor, Tensor]:
    t, e = router_logits.shape
    top_logits, expert_ids = router_logits.topk(k, dim=-1)  # [T, k], largest first
    weights = top_logits.softmax(dim=-1)  # softmax over the chosen k only (Mixtral)

    # Priority order: every token's first choice, then every token's second choice, ...
    order = expert_ids.t().reshape(-1)  # [k * T]
    one_hot = torch.nn.functional.one_hot(order, e)  # [k * T, E]
    count = (one_hot.cumsum(dim=0) * one_hot).sum(dim=-1)  # 1-based arrival number at its expert
    keep = (count <= capacity).reshape(k, t).t()
    return expert_ids, weights, keep
