"""Writes at slot pos (no modulo), like a static cache: breaks as soon as the buffer should wrap."""
import torch
from torch import Tensor


def window_write(cache: Tensor, new: Tensor, pos: int) -> tuple[Tensor, Tensor]:
    w, t = cache.shape[2], new.shape[2]
    cache[:, :, pos : pos + t] = new
    return cache, cache[:, :, : min(pos + t, w)]
