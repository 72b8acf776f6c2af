import torch
from torch import Tensor


def cache_write(cache_k: Tensor, cache_v: Tensor, k_new: Tensor, v_new: Tensor, start_pos: int) -> tuple[Tensor, Tensor]:
    """In-place write of the T new tokens at slots start_pos .. start_pos + T - 1 of axis 2."""
    end = start_pos + k_new.shape[2]
    # Slicing gives a view, so these copy into the preallocated buffers without allocating.
    cache_k[:, :, start_pos:end] = k_new
    cache_v[:, :, start_pos:end] = v_new
    return cache_k, cache_v
