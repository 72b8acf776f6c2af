"""Writes only the first new token (fine for decode, loses the rest of a prefill chunk)."""
import torch
from torch import Tensor


def cache_write(cache_k: Tensor, cache_v: Tensor, k_new: Tensor, v_new: Tensor, start_pos: int) -> tuple[Tensor, Tensor]:
    cache_k[:, :, start_pos] = k_new[:, :, 0]
    cache_v[:, :, start_pos] = v_new[:, :, 0]
    return cache_k, cache_v
