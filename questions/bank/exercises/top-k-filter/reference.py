import torch
from torch import Tensor


def top_k_filter(logits: Tensor, k: int) -> Tensor:
    """Set every logit below the k-th largest of its row to -inf (ties with it are kept)."""
    k = min(k, logits.size(-1))  # k >= V keeps the whole row
    kth = torch.topk(logits, k, dim=-1).values[..., -1:]  # [B, 1]: the threshold of each row
    # A strict comparison keeps every token tied with the k-th value, as Hugging Face does.
    return logits.masked_fill(logits < kth, float("-inf"))
