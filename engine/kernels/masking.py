"""Which keys each query may see, as one value every attention backend takes.

It sits in the lowest layer (``engine.kernels`` imports nothing else of the engine) because every
attention implementation takes it: the Triton kernel here as much as the torch backends of
``engine.core.attention``, which imports it from here.
The conventions themselves (bottom-right causal alignment, sliding windows, key padding) are spelled
out in ``engine.core.attention``'s docstring.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True, eq=False)  # a tensor field: compare by identity, never element-wise
class Masking:
    """Which keys each query may see: the three conventions of engine.core.attention, as one value.

    :func:`attention` builds it from its keyword arguments; every backend takes it whole, so a new
    kind of mask is one field here rather than one more parameter in five signatures.
    """

    causal: bool = True
    window: int | None = None
    key_padding_mask: torch.Tensor | None = None  # [B, S] bool, True for a real token
