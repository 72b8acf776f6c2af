"""Uses the full softmax's probabilities of the chosen experts without renormalising them over the k."""
import torch
from torch import Tensor


def route(router_logits: Tensor, k: int, capacity: int) -> tuple[Tensor, Tensor, Tensor]:
    t, e = router_logits.shape
    weights, expert_ids = router_logits.softmax(dim=-1).topk(k, dim=-1)
    order = expert_ids.t().reshape(-1)
    one_hot = torch.nn.functional.one_hot(order, e)
    count = (one_hot.cumsum(dim=0) * one_hot).sum(dim=-1)
    keep = (count <= capacity).reshape(k, t).t()
    return expert_ids, weights, keep
