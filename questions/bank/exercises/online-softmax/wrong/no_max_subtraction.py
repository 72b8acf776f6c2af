"""Sums exp(x) block by block with no running maximum: exp overflows for large logits."""
import torch
from torch import Tensor


def online_softmax(x: Tensor, block_size: int) -> Tensor:
    l = torch.zeros((*x.shape[:-1], 1), dtype=x.dtype)
    for start in range(0, x.shape[-1], block_size):
        l = l + torch.exp(x[..., start : start + block_size]).sum(dim=-1, keepdim=True)
    return torch.exp(x) / l
