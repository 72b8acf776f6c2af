import torch
from torch import Tensor


def accept_sampled(draft_tokens: Tensor, draft_probs: Tensor, target_probs: Tensor,
                   u_accept: Tensor, u_resample: Tensor) -> list[int]:
    """One round of speculative sampling with supplied uniforms.

    draft_tokens [K] int64; draft_probs q [K, V]; target_probs p [K + 1, V]; u_accept [K]; u_resample [K + 1].
    Accept d_i when u_accept[i] < p_i(d_i) / q_i(d_i); on the first rejection emit a draw from
    max(0, p_i - q_i) (normalised) with u_resample[i] and stop; if all are accepted, emit a draw from
    p_K with u_resample[K]. A draw with uniform u returns the first index whose normalised cumsum exceeds u.
    """
    raise NotImplementedError
