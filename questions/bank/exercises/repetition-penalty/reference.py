import torch
from torch import Tensor


def repetition_penalty(logits: Tensor, previous_ids: Tensor, penalty: float) -> Tensor:
    """Penalise every id of each row's history once: positive logits / penalty, negative ones * penalty."""
    # Read the ORIGINAL logit of every history entry; duplicates read (and later write) the same value.
    seen = torch.gather(logits, 1, previous_ids)  # [B, L]
    # Both branches move the logit towards "less likely" when penalty > 1.
    seen = torch.where(seen < 0, seen * penalty, seen / penalty)
    return logits.scatter(1, previous_ids, seen)
