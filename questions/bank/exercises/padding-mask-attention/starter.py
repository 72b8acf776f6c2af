import math

import torch
from torch import Tensor


def masked_attention(q: Tensor, k: Tensor, v: Tensor, key_padding_mask: Tensor) -> Tensor:
    """softmax(q k^T / sqrt(D) with padded keys excluded) v, non-causal.

    q: [B, H, T, D]; k, v: [B, H, S, D]; key_padding_mask: bool [B, S], True = real key.
    A batch element with no real key gives zeros. Returns [B, H, T, D] in q's dtype.
    """
    raise NotImplementedError
