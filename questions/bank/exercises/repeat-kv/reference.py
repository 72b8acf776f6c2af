import torch
from torch import Tensor


def repeat_kv(x: Tensor, n_rep: int) -> Tensor:
    """[B, Hkv, S, D] -> [B, Hkv * n_rep, S, D]; output head h copies KV head h // n_rep."""
    if n_rep == 1:
        return x
    b, hkv, s, d = x.shape
    # The new axis sits right after the head axis, so merging (Hkv, n_rep) numbers the
    # result kv * n_rep + r: each KV head's copies are consecutive.
    return x[:, :, None, :, :].expand(b, hkv, n_rep, s, d).reshape(b, hkv * n_rep, s, d)
