"""Accepts a draft with probability q/p instead of p/q."""
import torch
from torch import Tensor


def _draw(weights: Tensor, u: Tensor) -> int:
    cdf = (weights / weights.sum()).cumsum(dim=-1)
    return min(int(torch.searchsorted(cdf, u.reshape(1).to(cdf.dtype), right=True)), weights.numel() - 1)


def accept_sampled(draft_tokens: Tensor, draft_probs: Tensor, target_probs: Tensor,
                   u_accept: Tensor, u_resample: Tensor) -> list[int]:
    out: list[int] = []
    for i, d in enumerate(draft_tokens.tolist()):
        if u_accept[i] < draft_probs[i, d] / target_probs[i, d]:
            out.append(d)
            continue
        residual = (target_probs[i] - draft_probs[i]).clamp(min=0)
        return out + [_draw(residual, u_resample[i])]
    return out + [_draw(target_probs[-1], u_resample[-1])]
