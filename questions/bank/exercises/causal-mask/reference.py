import torch
from torch import Tensor


def causal_mask(t: int, s: int) -> Tensor:
    query_pos = torch.arange(t)[:, None] + (s - t)  # the new tokens come after s - t cached ones
    key_pos = torch.arange(s)[None, :]
    return key_pos <= query_pos  # [t, s]: a query sees itself and everything before it
