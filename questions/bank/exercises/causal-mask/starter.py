import torch
from torch import Tensor


def causal_mask(t: int, s: int) -> Tensor:
    """Bool [t, s], True = may attend. Query i is at absolute position s - t + i (the last t of s)."""
    raise NotImplementedError
