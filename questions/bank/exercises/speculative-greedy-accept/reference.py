import torch
from torch import Tensor


def accept_greedy(draft_tokens: Tensor, target_logits: Tensor) -> list[int]:
    """Accept drafts while they equal the target's argmax; then append the target's own token."""
    choices = target_logits.argmax(dim=-1).tolist()  # the target's greedy pick for every slot, t_0 .. t_K
    out: list[int] = []
    for i, draft in enumerate(draft_tokens.tolist()):
        if draft != choices[i]:
            # Later drafts (and later target rows) assumed this draft; none of them can be used.
            return out + [choices[i]]
        out.append(draft)
    return out + [choices[-1]]  # every draft matched: the last row gives a bonus token
