import torch
from torch import Tensor


def quantize_per_channel(w: Tensor) -> tuple[Tensor, Tensor]:
    """Symmetric absmax int8 quantisation with one scale per output channel (row).

    w: [out, in] weight (any float dtype; compute in float32).
    Returns (q int8 [out, in], scale float32 [out]) with
    scale = max(absmax of the row, 1e-12) / 127 and q = clamp(round(w / scale), -127, 127).
    """
    raise NotImplementedError
