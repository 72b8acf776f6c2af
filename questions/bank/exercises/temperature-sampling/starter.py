import torch
from torch import Tensor


def sample_token(logits: Tensor, temperature: float, u: Tensor) -> Tensor:
    """Draw one token per row from softmax(logits / temperature) by inverse CDF with the given uniforms.

    logits: [B, V] float tensor; temperature >= 0 (0 = argmax, u ignored); u: [B] numbers in [0, 1).
    Returns int64 token ids [B]: the first index i with u < cumsum(probs)[i].
    """
    raise NotImplementedError
