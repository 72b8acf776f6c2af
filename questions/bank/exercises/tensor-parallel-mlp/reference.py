import torch
import torch.nn.functional as F
from torch import Tensor


def tp_mlp_partials(x: Tensor, w_gate: Tensor, w_up: Tensor, w_down: Tensor, world_size: int) -> Tensor:
    hidden = w_gate.shape[0]
    partials = []
    for rank in range(world_size):
        lo, hi = rank * hidden // world_size, (rank + 1) * hidden // world_size  # this rank's hidden units
        # Column-parallel gate/up: whole units, so SiLU and the product need nothing from other ranks.
        h = F.silu(x @ w_gate[lo:hi].T) * (x @ w_up[lo:hi].T)  # [B, T, hi - lo]
        # Row-parallel down: this rank's columns give a full-width partial sum of the output.
        partials.append(h @ w_down[:, lo:hi].T)  # [B, T, C]
    return torch.stack(partials)
