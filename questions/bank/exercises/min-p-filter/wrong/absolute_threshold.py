"""Treats min_p as an absolute probability floor instead of scaling it by the top token's probability."""
import torch
from torch import Tensor


def min_p_filter(logits: Tensor, min_p: float) -> Tensor:
    probs = logits.softmax(dim=-1)
    remove = probs < min_p
    remove.scatter_(-1, probs.argmax(dim=-1, keepdim=True), False)  # always keep the best token
    return logits.masked_fill(remove, float("-inf"))
