"""Uses < instead of <=, so no query may attend to its own key."""
import torch
from torch import Tensor


def causal_mask(t: int, s: int) -> Tensor:
    return torch.ones(t, s, dtype=torch.bool).tril(diagonal=s - t - 1)
