import torch
import torch.nn.functional as F
from torch import Tensor


def tp_mlp_partials(x: Tensor, w_gate: Tensor, w_up: Tensor, w_down: Tensor, world_size: int) -> Tensor:
    """Each rank's partial SwiGLU MLP output, stacked [W, B, T, C]; their sum is the full MLP.

    x: [B, T, C]; w_gate, w_up: [F, C]; w_down: [C, F]. Rank r owns hidden units r*F//W .. (r+1)*F//W - 1.
    """
    raise NotImplementedError
