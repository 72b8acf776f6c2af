import torch
from torch import Tensor


def quantize_per_channel(w: Tensor) -> tuple[Tensor, Tensor]:
    """Symmetric absmax int8 quantisation with one scale per output channel (row)."""
    w = w.float()
    # Row j produces output j; its scale factors out of y_j = sum_i x_i w_ji.
    scale = w.abs().amax(dim=1).clamp(min=1e-12) / 127.0  # [out]
    q = torch.round(w / scale[:, None]).clamp(-127, 127).to(torch.int8)
    return q, scale
