import torch
from torch import Tensor


def accept_greedy(draft_tokens: Tensor, target_logits: Tensor) -> list[int]:
    """Accept drafts while they equal the target's argmax; then append the target's own token.

    draft_tokens: [K] int64; target_logits: [K + 1, V], row i predicts the slot of draft i.
    Returns the accepted drafts plus one target token (the correction, or the bonus if all matched).
    """
    raise NotImplementedError
