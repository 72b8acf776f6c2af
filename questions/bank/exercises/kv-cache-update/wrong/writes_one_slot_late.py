"""Writes the new tokens from start_pos + 1 instead of start_pos (one slot late)."""
import torch
from torch import Tensor


def cache_write(cache_k: Tensor, cache_v: Tensor, k_new: Tensor, v_new: Tensor, start_pos: int) -> tuple[Tensor, Tensor]:
    t = k_new.shape[2]
    cache_k[:, :, start_pos + 1 : start_pos + 1 + t] = k_new
    cache_v[:, :, start_pos + 1 : start_pos + 1 + t] = v_new
    return cache_k, cache_v
