import torch
from torch import Tensor


def _draw(weights: Tensor, u: Tensor) -> int:
    """Inverse-CDF draw: the first index whose normalised cumulative weight exceeds u."""
    cdf = (weights / weights.sum()).cumsum(dim=-1)
    idx = int(torch.searchsorted(cdf, u.reshape(1).to(cdf.dtype), right=True))
    return min(idx, weights.numel() - 1)  # in case rounding leaves the last cumulative value below u


def accept_sampled(draft_tokens: Tensor, draft_probs: Tensor, target_probs: Tensor,
                   u_accept: Tensor, u_resample: Tensor) -> list[int]:
    """One round of speculative sampling with supplied uniforms."""
    out: list[int] = []
    for i, d in enumerate(draft_tokens.tolist()):
        # Accept with probability min(1, p/q); for u < 1 the cap makes no difference.
        if u_accept[i] < target_probs[i, d] / draft_probs[i, d]:
            out.append(d)
            continue
        # Rejected: draw from the mass the target wants beyond what the drafter already offered.
        residual = (target_probs[i] - draft_probs[i]).clamp(min=0)
        return out + [_draw(residual, u_resample[i])]
    return out + [_draw(target_probs[-1], u_resample[-1])]  # all accepted: a bonus token from p_K
