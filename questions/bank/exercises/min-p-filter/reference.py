import torch
from torch import Tensor


def min_p_filter(logits: Tensor, min_p: float) -> Tensor:
    """Set to -inf every token less likely than min_p times its row's most likely token."""
    probs = logits.softmax(dim=-1)
    floor = min_p * probs.amax(dim=-1, keepdim=True)  # [B, 1]: the threshold is relative to each row's best
    return logits.masked_fill(probs < floor, float("-inf"))
