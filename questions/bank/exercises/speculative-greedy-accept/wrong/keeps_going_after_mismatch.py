"""Replaces each rejected draft with the target's token and keeps checking the drafts after it."""
import torch
from torch import Tensor


def accept_greedy(draft_tokens: Tensor, target_logits: Tensor) -> list[int]:
    choices = target_logits.argmax(dim=-1).tolist()
    out = [d if d == choices[i] else choices[i] for i, d in enumerate(draft_tokens.tolist())]
    return out + [choices[-1]]
