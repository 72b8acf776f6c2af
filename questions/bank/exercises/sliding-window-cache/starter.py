import torch
from torch import Tensor


def window_write(cache: Tensor, new: Tensor, pos: int) -> tuple[Tensor, Tensor]:
    """Write keys for positions pos .. pos + T - 1 into a ring buffer of W = cache.shape[2] slots.

    cache: [B, H, W, D], position p lives in slot p % W. new: [B, H, T, D].
    Returns (cache after the write, the held keys oldest first: [B, H, min(pos + T, W), D]).
    """
    raise NotImplementedError
