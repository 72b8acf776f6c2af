import torch
from torch import Tensor


def cache_write(cache_k: Tensor, cache_v: Tensor, k_new: Tensor, v_new: Tensor, start_pos: int) -> tuple[Tensor, Tensor]:
    """Write T new tokens into a preallocated cache at positions start_pos .. start_pos + T - 1.

    cache_k, cache_v: [B, H, S_max, D]; k_new, v_new: [B, H, T, D]; start_pos + T <= S_max.
    Returns the whole (cache_k, cache_v) with only those slots changed.
    """
    raise NotImplementedError
