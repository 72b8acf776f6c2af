"""Has no special case for temperature 0: dividing by zero makes the probabilities NaN."""
import torch
from torch import Tensor


def sample_token(logits: Tensor, temperature: float, u: Tensor) -> Tensor:
    with torch.no_grad():
        probs = (logits / torch.tensor(float(temperature), dtype=logits.dtype)).softmax(dim=-1)
    cdf = probs.cumsum(dim=-1)
    idx = torch.searchsorted(cdf, u[:, None].to(cdf.dtype), right=True)[:, 0]
    return idx.clamp(max=logits.size(-1) - 1)
