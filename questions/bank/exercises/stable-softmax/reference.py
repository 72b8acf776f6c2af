import torch
from torch import Tensor


def softmax(x: Tensor, dim: int = -1) -> Tensor:
    """The softmax of x along dim, safe for large and -inf scores; same shape and dtype as x."""
    # Shifting a slice by its own maximum leaves the softmax unchanged and caps every exponent at 0.
    shifted = x - x.amax(dim=dim, keepdim=True)
    weights = torch.exp(shifted)
    return weights / weights.sum(dim=dim, keepdim=True)
