import torch
import torch.nn.functional as F
from torch import Tensor


def swiglu(x: Tensor, w_gate: Tensor, w_up: Tensor, w_down: Tensor) -> Tensor:
    """w_down(silu(w_gate x) * w_up x) with nn.Linear-layout ([out, in]) weights."""
    gate = F.linear(x, w_gate)  # [..., F]
    up = F.linear(x, w_up)  # [..., F]
    return F.linear(F.silu(gate) * up, w_down)  # [..., C]
