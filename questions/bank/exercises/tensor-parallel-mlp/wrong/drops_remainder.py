"""Every rank gets F // W units; the remainder is never computed."""
import torch
import torch.nn.functional as F
from torch import Tensor


def tp_mlp_partials(x: Tensor, w_gate: Tensor, w_up: Tensor, w_down: Tensor, world_size: int) -> Tensor:
    size = w_gate.shape[0] // world_size
    partials = []
    for rank in range(world_size):
        lo, hi = rank * size, (rank + 1) * size
        h = F.silu(x @ w_gate[lo:hi].T) * (x @ w_up[lo:hi].T)
        partials.append(h @ w_down[:, lo:hi].T)
    return torch.stack(partials)
