"""A token with no bytes walks zero steps and is treated as allowed, staying in the same state."""
import torch
from torch import Tensor


def token_mask(trans: Tensor, accept: Tensor, state: int, vocab: list[list[int]], eos_id: int) -> tuple[Tensor, Tensor]:
    table = trans.tolist()
    next_state = []
    for data in vocab:
        current = state
        for byte in data:
            current = table[current][byte]
            if current == 0:
                break
        next_state.append(current)
    next_state[eos_id] = state
    nxt = torch.tensor(next_state, dtype=torch.long)
    allowed = nxt != 0
    allowed[eos_id] = bool(accept[state])
    return allowed, nxt
