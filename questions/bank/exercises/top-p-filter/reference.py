import torch
from torch import Tensor


def top_p_filter(logits: Tensor, p: float) -> Tensor:
    """Keep each row's smallest set of most likely tokens whose probability reaches p; -inf elsewhere."""
    sorted_logits, order = torch.sort(logits, dim=-1)  # ascending: the weakest token first
    # Mass of each token together with every token less likely than it.
    tail_mass = sorted_logits.softmax(dim=-1).cumsum(dim=-1)
    # A token may go when it and the weaker tokens hold at most 1 - p: the rest already reach p.
    drop_sorted = tail_mass <= 1 - p
    drop_sorted[..., -1] = False  # the most likely token always stays
    drop = drop_sorted.scatter(-1, order, drop_sorted)  # back from sorted to vocabulary order
    return logits.masked_fill(drop, float("-inf"))
