import torch
from torch import Tensor


def online_softmax(x: Tensor, block_size: int) -> Tensor:
    """Softmax over the last axis from blockwise running statistics (max m, rescaled sum l)."""
    stats_shape = (*x.shape[:-1], 1)
    m = torch.full(stats_shape, float("-inf"), dtype=x.dtype, device=x.device)  # running max
    l = torch.zeros(stats_shape, dtype=x.dtype, device=x.device)  # sum of exp(x - m) so far
    for start in range(0, x.shape[-1], block_size):
        block = x[..., start : start + block_size]
        m_new = torch.maximum(m, block.amax(dim=-1, keepdim=True))
        # Rows that have seen only -inf keep m_new = -inf; shifting by 0 there keeps every
        # exp at exp(-inf) = 0 instead of exp(-inf - -inf) = NaN.
        shift = torch.where(m_new == float("-inf"), torch.zeros_like(m_new), m_new)
        # Terms already in l are relative to the old max: rescale them to the new one.
        l = l * torch.exp(m - shift) + torch.exp(block - shift).sum(dim=-1, keepdim=True)
        m = m_new
    return torch.exp(x - m) / l
