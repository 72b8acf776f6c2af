"""Hidden tests for moe-topk-routing.

Oracle: float64 math written here, one assignment at a time, in the priority order of
engine/core/moe.py (first choices of all tokens, then second choices, ...). The engine's layer only
exposes per-expert counts, not the per-assignment mask, so it cannot serve as the oracle directly.
"""
import torch

from questions.exercises.cases import Case


def _logits(g, tokens, experts, dtype=torch.float32, skew=0.0):
    """Random router logits; ``skew`` adds a per-expert bias so some experts are more popular."""
    bias = torch.randn(experts, generator=g, dtype=torch.float64) * skew
    logits = (torch.randn(tokens, experts, generator=g, dtype=torch.float64) + bias).to(dtype)
    # Rounding to float32 can make two logits of a row equal; the statement promises no ties, so redraw those rows.
    while True:
        tied = (logits.sort(dim=-1).values.diff(dim=-1) == 0).any(dim=-1)
        if not bool(tied.any()):
            return logits
        redraw = torch.randn(int(tied.sum()), experts, generator=g, dtype=torch.float64) + bias
        logits[tied] = redraw.to(dtype)


def cases(seed: int) -> list[Case]:
    g = torch.Generator().manual_seed(seed)
    popular = _logits(g, 8, 4)
    popular[:, 0] += 5.0  # every token's first choice is expert 0
    large_t, large_e, large_k = 4096, 64, 2
    return [
        Case("small-top2", args=(_logits(g, 4, 4), 2, 8), visible=True,
             explain="Four tokens, four experts, top-2, capacity large enough that nothing is dropped."),
        Case("capacity-drops", args=(_logits(g, 6, 3), 2, 3), visible=True,
             explain="Twelve assignments into three experts of capacity 3: at least three must be dropped."),
        Case("first-choices-served-first", args=(torch.tensor([[3.0, 2.0, 0.0], [0.0, 3.0, 2.0]]), 2, 1),
             explain="Token 1's first choice (expert 1) must win expert 1's only slot over token 0's second choice."),
        Case("one-popular-expert", args=(popular, 2, 3),
             explain="All eight tokens pick expert 0 first; it keeps the first three tokens and drops the rest."),
        Case("top1-switch", args=(_logits(g, 10, 5, torch.float64), 1, 2),
             explain="k = 1 (Switch routing): every weight is exactly 1 and capacity alone decides what is kept."),
        Case("k-equals-experts", args=(_logits(g, 5, 3), 3, 5),
             explain="k = E: every expert is chosen, the weights are the full softmax, each expert sees all 5 tokens."),
        Case("top2-float64", args=(_logits(g, 16, 8, torch.float64), 2, 3),
             explain="float64 logits: the weights must stay float64."),
        Case("large-router", args=(_logits(g, large_t, large_e, skew=0.3), large_k, large_t * large_k // large_e),
             explain="4096 tokens over 64 experts with capacity factor 1.0 and uneven expert popularity."),
    ]


def expected(case: Case):
    logits, k, capacity = case.args
    z = logits.to(torch.float64)
    t, e = z.shape
    order = torch.sort(z, dim=-1, descending=True, stable=True).indices  # no ties in the inputs
    ids = order[:, :k]
    chosen = z.gather(1, ids)
    exps = torch.exp(chosen - chosen[:, :1])  # column 0 holds each row's largest chosen logit
    weights = exps / exps.sum(dim=-1, keepdim=True)
    rows = ids.tolist()
    keep = [[False] * k for _ in range(t)]
    taken = [0] * e
    for choice in range(k):
        for token in range(t):
            expert = rows[token][choice]
            taken[expert] += 1
            keep[token][choice] = taken[expert] <= capacity
    return ids, weights.to(logits.dtype), torch.tensor(keep, dtype=torch.bool).reshape(t, k)
