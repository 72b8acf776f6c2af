"""Gates with sigmoid(gate) (the original GLU) instead of silu(gate) = gate * sigmoid(gate)."""
import torch
import torch.nn.functional as F
from torch import Tensor


def swiglu(x: Tensor, w_gate: Tensor, w_up: Tensor, w_down: Tensor) -> Tensor:
    gate = F.linear(x, w_gate)
    up = F.linear(x, w_up)
    return F.linear(torch.sigmoid(gate) * up, w_down)
