"""Takes the threshold from sorted position k (0-based) instead of k - 1, keeping one token too many."""
import torch
from torch import Tensor


def top_k_filter(logits: Tensor, k: int) -> Tensor:
    sorted_logits = torch.sort(logits, dim=-1, descending=True).values
    kth = sorted_logits[..., min(k, logits.size(-1) - 1)].unsqueeze(-1)
    return logits.masked_fill(logits < kth, float("-inf"))
