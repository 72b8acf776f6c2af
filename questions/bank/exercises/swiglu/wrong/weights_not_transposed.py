"""Treats the weights as [in, out] and multiplies x @ w, forgetting nn.Linear stores [out, in]."""
import torch
import torch.nn.functional as F
from torch import Tensor


def swiglu(x: Tensor, w_gate: Tensor, w_up: Tensor, w_down: Tensor) -> Tensor:
    hidden = F.silu(x @ w_gate) * (x @ w_up)
    return hidden @ w_down
