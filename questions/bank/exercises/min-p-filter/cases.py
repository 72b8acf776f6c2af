"""Hidden tests for min-p-filter; the oracle is the engine's filter (HF MinPLogitsWarper semantics)."""
import math

import torch

from questions.exercises.cases import Case

# Every token's log-probability ratio to the best token stays this far from ln(min_p), so a
# comparison made in log space, in float32 or in float64 gives the same answer.
MARGIN = 1e-3


def _logits(g: torch.Generator, shape, scale: float, min_p: float, dtype=torch.float32) -> torch.Tensor:
    x = torch.randn(*shape, generator=g, dtype=torch.float64) * scale + 1.0
    if 0 < min_p < 1:
        top = x.amax(dim=-1, keepdim=True)
        gap = x - top - math.log(min_p)  # < 0: removed
        near = (gap.abs() < MARGIN) & (x < top)  # the best token is never moved, so the threshold stays put
        # Push near-threshold tokens to whichever side they were on (up when exactly on it).
        x = torch.where(near, x + torch.where(gap < 0, -2 * MARGIN, 2 * MARGIN), x)
    return x.to(dtype)


def cases(seed: int) -> list[Case]:
    g = torch.Generator().manual_seed(seed)
    one_live = _logits(g, (3, 10), 2.0, 0.1)
    one_live[0, 1:] = float("-inf")
    one_live[1, ::3] = float("-inf")
    tied_top = _logits(g, (2, 12), 1.0, 1.0)
    tied_top[0, [2, 7]] = tied_top[0].max() + 1.0  # two tokens share the maximum
    return [
        Case("threshold-scales-with-top-token", args=(torch.tensor([[0.5, 0.2, 0.04, 0.26]]).log(), 0.3), visible=True,
             explain="With min_p = 0.3 and a top probability of 0.5 the floor is 0.15: only the 0.04 token goes."),
        Case("flat-row-keeps-plausible-tokens", args=(torch.tensor([[0.0, 0.0, 0.0, 0.0, -3.0], [1.0, 2.0, 3.0, 4.0, 5.0]]), 0.1),
             visible=True, explain="The floor is relative to each row's best token, so a flat row keeps its near-equal tokens."),
        Case("random-float32", args=(_logits(g, (4, 40), 2.0, 0.05), 0.05), explain="Random float32 logits, min_p = 0.05."),
        Case("random-float64", args=(_logits(g, (3, 25), 1.5, 0.2, torch.float64), 0.2), explain="float64 logits, min_p = 0.2."),
        Case("min-p-zero", args=(_logits(g, (2, 15), 3.0, 0.0), 0.0), explain="min_p = 0 removes nothing."),
        Case("min-p-one", args=(tied_top, 1.0), explain="min_p = 1 keeps only the tokens tied with the row's maximum."),
        Case("all-minus-inf-but-one", args=(one_live, 0.1), explain="Existing -inf entries stay removed; a single live token is kept."),
        Case("large-batch-16-vocab-32000", args=(_logits(g, (16, 32000), 3.0, 0.05), 0.05),
             explain="A realistic vocabulary size, timed against the engine."),
    ]


def expected(case: Case):
    from engine.core.sampling import min_p_filter

    return min_p_filter(*case.args, **case.kwargs)
