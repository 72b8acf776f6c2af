"""Hidden tests for top-p-filter; the oracle is the engine's filter (HF TopPLogitsWarper semantics)."""
import math

import torch

from questions.exercises.cases import Case

# Keep every running total at least this far from p, so that summing from the top or from the
# bottom, in float32 or float64, cannot change which side of the cut a token falls on.
MARGIN = 1e-4


def _clear_of_cut(logits: torch.Tensor, p: float) -> bool:
    probs = logits.double().softmax(dim=-1)
    sorted_probs = probs.sort(dim=-1, descending=True).values
    before = sorted_probs.cumsum(dim=-1) - sorted_probs  # mass ranked before each token
    live = sorted_probs > 0  # tokens already at -inf are removed whichever way the sum goes
    return bool(((before - p).abs()[live] > MARGIN).all())


def _logits(g: torch.Generator, shape, scale: float, p: float, dtype=torch.float32) -> torch.Tensor:
    while True:
        x = (torch.randn(*shape, generator=g, dtype=torch.float64) * scale).to(dtype)
        if _clear_of_cut(x, p):
            return x


def cases(seed: int) -> list[Case]:
    g = torch.Generator().manual_seed(seed)
    masked = _logits(g, (3, 12), 2.0, 0.8)
    masked[0, 1::2] = float("-inf")
    masked[2, 1:] = float("-inf")  # a single live token
    log = torch.tensor
    return [
        Case("keeps-token-crossing-p", args=(log([[0.5, 0.3, 0.15, 0.05]]).log(), 0.7), visible=True,
             explain="Probabilities 0.5, 0.3, 0.15, 0.05 with p = 0.7 keep two tokens: the second one crosses p and stays."),
        Case("top-token-alone-exceeds-p", args=(log([[0.06, 0.9, 0.04], [0.2, 0.2, 0.6]]).log(), 0.5), visible=True,
             explain="When the most likely token alone exceeds p it is the only one kept, never none."),
        Case("random-float32", args=(_logits(g, (4, 30), 2.0, 0.9), 0.9), explain="Random float32 logits, p = 0.9."),
        Case("random-float64", args=(_logits(g, (3, 25), 1.5, 0.5, torch.float64), 0.5), explain="Random float64 logits, p = 0.5."),
        Case("p-equals-one", args=(_logits(g, (3, 16), 1.0, 1.0), 1.0), explain="p = 1 keeps every token of non-zero probability."),
        Case("all-equal-logits", args=(torch.zeros(2, 5), 0.9), explain="A flat row where p = 0.9 needs all five tokens (four hold only 0.8)."),
        Case("already-masked-inputs", args=(masked, 0.8), explain="Entries that are already -inf stay -inf; a row with one live token keeps it."),
        Case("confident-rows", args=(_logits(g, (5, 40), 6.0, 0.95), 0.95), explain="Peaked distributions where the nucleus is one or two tokens."),
        Case("large-batch-16-vocab-32000", args=(_logits(g, (16, 32000), 6.0, 0.9), 0.9),
             explain="A realistic vocabulary size, timed against the engine."),
    ]


def expected(case: Case):
    from engine.core.sampling import top_p_filter

    return top_p_filter(*case.args, **case.kwargs)
