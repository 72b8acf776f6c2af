import torch
from torch import Tensor

DEAD = 0


def token_mask(trans: Tensor, accept: Tensor, state: int, vocab: list[list[int]], eos_id: int) -> tuple[Tensor, Tensor]:
    table = trans.tolist()  # plain lists: one Python index per byte instead of a tensor lookup
    next_state = [DEAD] * len(vocab)
    for token, data in enumerate(vocab):
        current = state if data else DEAD  # no bytes, no progress: never allowed
        for byte in data:
            current = table[current][byte]
            if current == DEAD:
                break
        next_state[token] = current
    next_state[eos_id] = state  # EOS consumes no text
    nxt = torch.tensor(next_state, dtype=torch.long)
    allowed = nxt != DEAD
    allowed[eos_id] = bool(accept[state])  # stopping is fine only when the text so far is complete
    return allowed, nxt
