"""Only the first byte of each token is checked against the automaton."""
import torch
from torch import Tensor


def token_mask(trans: Tensor, accept: Tensor, state: int, vocab: list[list[int]], eos_id: int) -> tuple[Tensor, Tensor]:
    table = trans.tolist()
    next_state = []
    for data in vocab:
        next_state.append(table[state][data[0]] if data else 0)
    next_state[eos_id] = state
    nxt = torch.tensor(next_state, dtype=torch.long)
    allowed = nxt != 0
    allowed[eos_id] = bool(accept[state])
    return allowed, nxt
