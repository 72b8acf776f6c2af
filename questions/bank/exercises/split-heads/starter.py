import torch
from torch import Tensor


def split_heads(x: Tensor, n_heads: int) -> Tensor:
    """[B, T, H*D] -> [B, H, T, D]: head h takes features h*D .. h*D + D - 1 of every token.

    x may be non-contiguous (a slice of a fused projection). Same dtype as x.
    """
    raise NotImplementedError
