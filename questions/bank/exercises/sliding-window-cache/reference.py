import torch
from torch import Tensor


def window_write(cache: Tensor, new: Tensor, pos: int) -> tuple[Tensor, Tensor]:
    """Ring-buffer write (position p -> slot p % W), then the held keys in chronological order."""
    w, t = cache.shape[2], new.shape[2]
    end = pos + t  # one past the newest position
    # Only the last W new tokens can survive; writing more would send two tokens to one slot.
    keep = min(t, w)
    written = torch.arange(end - keep, end, device=cache.device)
    cache[:, :, written % w] = new[:, :, t - keep :]
    held = torch.arange(max(0, end - w), end, device=cache.device)  # oldest first
    return cache, cache[:, :, held % w]
