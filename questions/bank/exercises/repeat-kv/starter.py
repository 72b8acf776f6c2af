import torch
from torch import Tensor


def repeat_kv(x: Tensor, n_rep: int) -> Tensor:
    """Expand KV heads for grouped-query attention.

    x: [B, Hkv, S, D]. Returns [B, Hkv * n_rep, S, D] where output head h is a copy of
    input head h // n_rep (heads 0..n_rep-1 share KV head 0, and so on). Same dtype as x.
    """
    raise NotImplementedError
