"""End-of-sequence is allowed in every state, accepting or not."""
import torch
from torch import Tensor


def token_mask(trans: Tensor, accept: Tensor, state: int, vocab: list[list[int]], eos_id: int) -> tuple[Tensor, Tensor]:
    table = trans.tolist()
    next_state = []
    for data in vocab:
        current = state if data else 0
        for byte in data:
            current = table[current][byte]
            if current == 0:
                break
        next_state.append(current)
    next_state[eos_id] = state
    nxt = torch.tensor(next_state, dtype=torch.long)
    return nxt != 0, nxt
