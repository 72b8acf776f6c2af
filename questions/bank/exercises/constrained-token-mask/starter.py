import torch
from torch import Tensor


def token_mask(trans: Tensor, accept: Tensor, state: int, vocab: list[list[int]], eos_id: int) -> tuple[Tensor, Tensor]:
    """(allowed [V] bool, next_state [V] int64) for a byte-level DFA in `state`; state 0 is dead.

    A token is allowed if walking all its bytes never reaches state 0; EOS is allowed iff accept[state]
    and stays in `state`; a token with no bytes is never allowed.
    """
    raise NotImplementedError
