import torch
from torch import Tensor


def route(router_logits: Tensor, k: int, capacity: int) -> tuple[Tensor, Tensor, Tensor]:
    """Top-k routing with per-expert capacity.

    router_logits: [T, E]. Returns (expert_ids [T, k] int64, weights [T, k] softmax over the chosen k,
    keep [T, k] bool: each expert takes its first `capacity` assignments, first choices before second).
    """
    raise NotImplementedError
