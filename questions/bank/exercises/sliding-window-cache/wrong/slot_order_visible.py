"""Writes the right slots but returns the held keys in slot order instead of oldest first."""
import torch
from torch import Tensor


def window_write(cache: Tensor, new: Tensor, pos: int) -> tuple[Tensor, Tensor]:
    w, t = cache.shape[2], new.shape[2]
    end = pos + t
    keep = min(t, w)
    written = torch.arange(end - keep, end)
    cache[:, :, written % w] = new[:, :, t - keep :]
    return cache, cache[:, :, : min(end, w)]
