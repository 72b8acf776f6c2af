import math

import torch
from torch import Tensor


def gqa_attention(q: Tensor, k: Tensor, v: Tensor) -> Tensor:
    """Causal grouped-query attention, queries aligned to the last T of S positions.

    q: [B, Hq, T, D]; k, v: [B, Hkv, S, D], Hkv divides Hq, 1 <= T <= S.
    Query head h uses KV head h // (Hq // Hkv); scale 1/sqrt(D).
    Returns [B, Hq, T, D] in q's dtype.
    """
    raise NotImplementedError
