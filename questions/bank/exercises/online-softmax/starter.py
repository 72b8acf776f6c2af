import torch
from torch import Tensor


def online_softmax(x: Tensor, block_size: int) -> Tensor:
    """softmax(x, dim=-1), computed by reading the last axis in blocks of block_size.

    Keep a running max m and a running sum l of exp(x - m) per row, rescaling l whenever m grows;
    then return exp(x - m) / l. x: [..., N] float32/float64, may contain -inf (not a whole row).
    """
    raise NotImplementedError
