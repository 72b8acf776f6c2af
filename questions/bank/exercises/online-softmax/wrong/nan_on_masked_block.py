"""Shifts by the running max even while it is -inf, so an all -inf leading block gives NaN."""
import torch
from torch import Tensor


def online_softmax(x: Tensor, block_size: int) -> Tensor:
    stats_shape = (*x.shape[:-1], 1)
    m = torch.full(stats_shape, float("-inf"), dtype=x.dtype)
    l = torch.zeros(stats_shape, dtype=x.dtype)
    for start in range(0, x.shape[-1], block_size):
        block = x[..., start : start + block_size]
        m_new = torch.maximum(m, block.amax(dim=-1, keepdim=True))
        l = l * torch.exp(m - m_new) + torch.exp(block - m_new).sum(dim=-1, keepdim=True)
        m = m_new
    return torch.exp(x - m) / l
