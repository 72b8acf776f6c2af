import torch
from torch import Tensor


def split_heads(x: Tensor, n_heads: int) -> Tensor:
    """[B, T, H*D] -> [B, H, T, D]; feature h*D + d of token t goes to head h, position t, dim d."""
    b, t, c = x.shape
    # Split the feature axis into (head, dim) first, then move heads in front of tokens.
    return x.reshape(b, t, n_heads, c // n_heads).transpose(1, 2)
