"""On a rejection, resamples from the target distribution p instead of the residual max(0, p - q)."""
import torch
from torch import Tensor


def _draw(weights: Tensor, u: Tensor) -> int:
    cdf = (weights / weights.sum()).cumsum(dim=-1)
    return min(int(torch.searchsorted(cdf, u.reshape(1).to(cdf.dtype), right=True)), weights.numel() - 1)


def accept_sampled(draft_tokens: Tensor, draft_probs: Tensor, target_probs: Tensor,
                   u_accept: Tensor, u_resample: Tensor) -> list[int]:
    out: list[int] = []
    for i, d in enumerate(draft_tokens.tolist()):
        if u_accept[i] < target_probs[i, d] / draft_probs[i, d]:
            out.append(d)
            continue
        return out + [_draw(target_probs[i], u_resample[i])]
    return out + [_draw(target_probs[-1], u_resample[-1])]
