import torch
from torch import Tensor


def sample_token(logits: Tensor, temperature: float, u: Tensor) -> Tensor:
    """Draw one token per row from softmax(logits / temperature) by inverse CDF with the given uniforms."""
    if temperature == 0:
        return logits.argmax(dim=-1)  # the T -> 0 limit; dividing by 0 would give NaN
    probs = (logits / temperature).softmax(dim=-1)
    cdf = probs.cumsum(dim=-1)  # [B, V]
    # right=True counts the cumulative values <= u: the index of the first one above u.
    idx = torch.searchsorted(cdf, u[:, None].to(cdf.dtype), right=True)[:, 0]
    return idx.clamp(max=logits.size(-1) - 1)  # in case rounding leaves cdf[-1] just below u
