"""Off by one on the window: keeps positions end - W + 1 .. end - 1, i.e. W - 1 keys once full."""
import torch
from torch import Tensor


def window_write(cache: Tensor, new: Tensor, pos: int) -> tuple[Tensor, Tensor]:
    w, t = cache.shape[2], new.shape[2]
    end = pos + t
    keep = min(t, w)
    written = torch.arange(end - keep, end)
    cache[:, :, written % w] = new[:, :, t - keep :]
    held = torch.arange(max(0, end - w + 1), end)
    return cache, cache[:, :, held % w]
