import math

import torch
from torch import Tensor


def attention(q: Tensor, k: Tensor, v: Tensor, causal: bool = True) -> Tensor:
    """softmax(q k^T / sqrt(D) + mask) v.

    q: [B, H, T, D]; k, v: [B, H, S, D] with S >= T. With causal=True the T queries are the
    last T of the S positions (query i sits at S - T + i and sees keys 0 .. S - T + i).
    Returns [B, H, T, D] in q's dtype.
    """
    raise NotImplementedError
