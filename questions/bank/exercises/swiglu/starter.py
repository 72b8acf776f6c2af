import torch
import torch.nn.functional as F
from torch import Tensor


def swiglu(x: Tensor, w_gate: Tensor, w_up: Tensor, w_down: Tensor) -> Tensor:
    """LLaMA's feed-forward block: w_down(silu(w_gate x) * (w_up x)).

    x: [..., C]. w_gate, w_up: [F, C]; w_down: [C, F] (nn.Linear layout: [out, in]).
    Returns [..., C] in x's dtype.
    """
    raise NotImplementedError
