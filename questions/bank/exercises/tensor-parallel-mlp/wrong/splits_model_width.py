"""Splits gate/up along the input width and applies SiLU to each rank's partial pre-activation."""
import torch
import torch.nn.functional as F
from torch import Tensor


def tp_mlp_partials(x: Tensor, w_gate: Tensor, w_up: Tensor, w_down: Tensor, world_size: int) -> Tensor:
    width = x.shape[-1]
    partials = []
    for rank in range(world_size):
        lo, hi = rank * width // world_size, (rank + 1) * width // world_size
        h = F.silu(x[..., lo:hi] @ w_gate[:, lo:hi].T) * (x[..., lo:hi] @ w_up[:, lo:hi].T)
        partials.append(h @ w_down.T)
    return torch.stack(partials)
