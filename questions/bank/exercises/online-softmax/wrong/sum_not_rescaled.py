"""Updates the running max but never rescales the running sum by exp(m_old - m_new)."""
import torch
from torch import Tensor


def online_softmax(x: Tensor, block_size: int) -> Tensor:
    stats_shape = (*x.shape[:-1], 1)
    m = torch.full(stats_shape, float("-inf"), dtype=x.dtype)
    l = torch.zeros(stats_shape, dtype=x.dtype)
    for start in range(0, x.shape[-1], block_size):
        block = x[..., start : start + block_size]
        m_new = torch.maximum(m, block.amax(dim=-1, keepdim=True))
        shift = torch.where(m_new == float("-inf"), torch.zeros_like(m_new), m_new)
        l = l + torch.exp(block - shift).sum(dim=-1, keepdim=True)
        m = m_new
    return torch.exp(x - m) / l
