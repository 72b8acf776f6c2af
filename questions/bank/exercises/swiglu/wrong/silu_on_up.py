"""Applies SiLU to the up projection and uses the gate projection linearly (branches swapped)."""
import torch
import torch.nn.functional as F
from torch import Tensor


def swiglu(x: Tensor, w_gate: Tensor, w_up: Tensor, w_down: Tensor) -> Tensor:
    gate = F.linear(x, w_gate)
    up = F.linear(x, w_up)
    return F.linear(gate * F.silu(up), w_down)
