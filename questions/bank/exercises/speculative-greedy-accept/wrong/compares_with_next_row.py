"""Compares draft i with the target's row i + 1 (the prediction one slot later)."""
import torch
from torch import Tensor


def accept_greedy(draft_tokens: Tensor, target_logits: Tensor) -> list[int]:
    choices = target_logits.argmax(dim=-1).tolist()
    out: list[int] = []
    for i, draft in enumerate(draft_tokens.tolist()):
        if draft != choices[i + 1]:
            return out + [choices[i + 1]]
        out.append(draft)
    return out + [choices[-1]]
