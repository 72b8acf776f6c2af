import math

import torch
from torch import Tensor


def mqa_forward(x: Tensor, w_q: Tensor, w_k: Tensor, w_v: Tensor, w_o: Tensor, n_heads: int) -> Tensor:
    """Causal multi-query self-attention: n_heads query heads, one shared key head and value head.

    x: [B, T, C]; w_q: [C, H*D]; w_k, w_v: [C, D]; w_o: [H*D, C]; projections are x @ w.
    Returns [B, T, C].
    """
    raise NotImplementedError
