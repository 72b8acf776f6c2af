"""Hidden tests for beam-search-step; the oracle is float64 math with the engine's ranking rule.

engine/core/beam_search.py does this step inline (log_softmax + running score, one topk over the
flattened [beams, V] table, divmod by V); it has no function for the step alone, so it is restated here.
"""
import torch

from questions.exercises.cases import Case

# Among the best W + 1 candidates, neighbours differ by at least this much, so no tie decides the order.
MARGIN = 1e-4


def _separated(beam_scores: torch.Tensor, logprobs: torch.Tensor, width: int) -> bool:
    flat = (beam_scores.double()[:, None] + logprobs.double()).reshape(-1)
    top = flat.topk(min(width + 1, flat.numel())).values
    top = top[torch.isfinite(top)]
    return bool((top[:-1] - top[1:] > MARGIN).all())


def _random(g: torch.Generator, k: int, v: int, width: int, dtype=torch.float32, spread: float = 3.0):
    while True:
        logprobs = (torch.randn(k, v, generator=g, dtype=torch.float64) * 2).log_softmax(dim=-1).to(dtype)
        beam_scores = (-torch.rand(k, generator=g, dtype=torch.float64) * spread).sort(descending=True).values.to(dtype)
        if _separated(beam_scores, logprobs, width):
            return beam_scores, logprobs, width


def cases(seed: int) -> list[Case]:
    g = torch.Generator().manual_seed(seed)
    # The first step as engines run it: three copies of the prompt's row, only the first one live.
    score0, row0, _ = _random(g, 1, 20, 3)
    first_step = (torch.cat([score0, torch.full((2,), -1e9)]), row0.expand(3, -1).contiguous(), 3)
    lp = torch.tensor
    return [
        Case("best-two-from-one-beam",
             args=(lp([-1.0, -1.5]), lp([[-0.2, -0.5, -3.0], [-0.4, -2.0, -2.5]]), 2), visible=True,
             explain="Candidates -1.2 and -1.5 both extend beam 0 and beat beam 1's best (-1.9): beams compete for the slots."),
        Case("running-score-decides",
             args=(lp([-0.1, -4.0]), lp([[-1.0, -0.7, -2.0], [-0.05, -3.0, -3.0]]), 2), visible=True,
             explain="Beam 1's token has the highest log-probability, but beam 1's running score is too low for it to survive."),
        Case("random-float32", args=_random(g, 4, 30, 4), explain="Four beams, vocabulary 30, float32."),
        Case("random-float64", args=_random(g, 5, 17, 3, torch.float64), explain="float64 inputs, beam width 3 from 5 beams."),
        Case("width-above-vocab", args=_random(g, 3, 4, 7), explain="Beam width larger than the vocabulary: survivors must span several beams."),
        Case("single-beam", args=_random(g, 1, 12, 4), explain="One beam (the first step): the best tokens of its row, best first."),
        Case("first-step-with-copies", args=first_step,
             explain="On the first step the copies of the prompt carry -1e9, so every survivor extends beam 0."),
        Case("width-one", args=_random(g, 6, 25, 1, torch.float64, spread=0.3), explain="Beam width 1 is a greedy step over all beams."),
        Case("large-8-beams-vocab-32000", args=_random(g, 8, 32000, 8), explain="Eight beams over a realistic vocabulary, timed against the float64 oracle."),
    ]


def expected(case: Case):
    beam_scores, logprobs, width = case.args
    vocab = logprobs.size(1)
    candidates = beam_scores.double()[:, None] + logprobs.double()
    scores, flat = candidates.reshape(-1).topk(width)
    return scores.to(logprobs.dtype), torch.div(flat, vocab, rounding_mode="floor"), flat % vocab
