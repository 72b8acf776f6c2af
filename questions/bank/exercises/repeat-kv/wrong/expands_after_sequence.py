"""Puts the copy axis after the sequence axis, so the final reshape interleaves positions into heads."""
import torch
from torch import Tensor


def repeat_kv(x: Tensor, n_rep: int) -> Tensor:
    b, hkv, s, d = x.shape
    return x[:, :, :, None, :].expand(b, hkv, s, n_rep, d).reshape(b, hkv * n_rep, s, d)
