"""Slices the head axis (1) instead of the position axis (2), assuming a [B, S, H, D] layout."""
import torch
from torch import Tensor


def cache_write(cache_k: Tensor, cache_v: Tensor, k_new: Tensor, v_new: Tensor, start_pos: int) -> tuple[Tensor, Tensor]:
    t = k_new.shape[2]
    cache_k[:, start_pos : start_pos + t] = k_new
    cache_v[:, start_pos : start_pos + t] = v_new
    return cache_k, cache_v
