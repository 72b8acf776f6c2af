"""Returns just the drafts when all are accepted, forgetting the bonus token from the target's last row."""
import torch
from torch import Tensor


def accept_greedy(draft_tokens: Tensor, target_logits: Tensor) -> list[int]:
    choices = target_logits.argmax(dim=-1).tolist()
    out: list[int] = []
    for i, draft in enumerate(draft_tokens.tolist()):
        if draft != choices[i]:
            return out + [choices[i]]
        out.append(draft)
    return out if out else [choices[0]]
