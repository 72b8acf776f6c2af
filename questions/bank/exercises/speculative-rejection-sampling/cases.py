"""Hidden tests for speculative-rejection-sampling; the oracle is float64 math written here.

The engine's ``verify`` (engine/serving/speculative.py) applies the same rule but draws its own
uniforms from a generator; with the uniforms supplied, the rule is restated here in float64.
tests/exercises/test_speculative_sampling_oracle.py drives this oracle with fresh uniforms and checks
that the tokens it emits follow the target distribution p, as the engine's rule guarantees.
"""
import torch

from questions.exercises.cases import Case

# Every uniform stays this far from the ratio or the cumulative boundaries it is compared with.
MARGIN = 1e-4


def _cdf(weights: torch.Tensor) -> torch.Tensor:
    weights = weights.double()
    return (weights / weights.sum()).cumsum(dim=-1)


def _draw(weights: torch.Tensor, u: float) -> int:
    cdf = _cdf(weights)
    idx = int(torch.searchsorted(cdf, torch.tensor([u], dtype=torch.float64), right=True))
    return min(idx, weights.numel() - 1)


def _ratio(p: torch.Tensor, q: torch.Tensor, d: int) -> float:
    return min(1.0, float(p[d].double()) / float(q[d].double()))


def _uniform(g: torch.Generator, avoid: torch.Tensor, low: float = 0.0, high: float = 1.0, tries: int = 512) -> float:
    """A uniform in [low, high) at least MARGIN from every value in ``avoid``."""
    for _ in range(tries):
        u = low + (high - low) * float(torch.rand((), generator=g, dtype=torch.float64))
        if bool(((avoid.double() - u).abs() > MARGIN).all()):
            return u
    raise RuntimeError("no uniform clear of the boundaries; the distribution is too flat for MARGIN")


def _draw_boundaries(weights: torch.Tensor) -> torch.Tensor:
    return torch.cat([torch.zeros(1, dtype=torch.float64), _cdf(weights)])


def _uniforms(g, drafts, q, p, reject_at: int | None = None):
    """u_accept and u_resample that keep every comparison clear of rounding; optionally force one rejection."""
    k = drafts.numel()
    u_accept, u_resample = [], []
    for i in range(k):
        r = torch.tensor([_ratio(p[i], q[i], int(drafts[i]))])
        if reject_at is not None and i < reject_at:
            u_accept.append(_uniform(g, r, high=max(float(r) - MARGIN, MARGIN)))
        elif reject_at is not None and i == reject_at:
            u_accept.append(_uniform(g, r, low=min(float(r) + MARGIN, 1.0 - MARGIN)))
        else:
            u_accept.append(_uniform(g, r))
        residual = (p[i].double() - q[i].double()).clamp(min=0)
        u_resample.append(_uniform(g, _draw_boundaries(residual)) if residual.sum() > 1e-3 else float(torch.rand((), generator=g)))
    u_resample.append(_uniform(g, _draw_boundaries(p[k])))
    return torch.tensor(u_accept, dtype=p.dtype), torch.tensor(u_resample, dtype=p.dtype)


def _distributions(g, k, vocab, dtype, closeness: float = 1.0):
    """Target rows p [k + 1, V] and draft rows q [k, V] that resemble each other, as real drafters do."""
    logits_p = torch.randn(k + 1, vocab, generator=g, dtype=torch.float64) * 2
    logits_q = logits_p[:k] + torch.randn(k, vocab, generator=g, dtype=torch.float64) * closeness
    return logits_q.softmax(dim=-1).to(dtype), logits_p.softmax(dim=-1).to(dtype)


def _sampled_round(g, k, vocab, dtype=torch.float32, reject_at=None):
    q, p = _distributions(g, k, vocab, dtype)
    if reject_at is not None:
        # The forced rejection needs a draft the target likes less than the drafter.
        while float(q[reject_at].double().sub(p[reject_at].double()).max()) < 0.05:
            q, p = _distributions(g, k, vocab, dtype)
    drafts = torch.multinomial(q.double(), 1, generator=g)[:, 0] if k else torch.zeros(0, dtype=torch.long)
    if reject_at is not None:
        drafts[reject_at] = int((q[reject_at].double() - p[reject_at].double()).argmax())
    return (drafts, q, p, *_uniforms(g, drafts, q, p, reject_at))


def _lookup_round(g, k, vocab):
    """A deterministic drafter (one-hot q) whose draft at slot 1 is the target's favourite yet is rejected.

    u_resample[1] falls inside that token's piece of p's CDF, so resampling from p would return the
    draft itself, while the residual (p with the draft removed) cannot.
    """
    _, p = _distributions(g, k, vocab, torch.float64)
    drafts = p[:k].argmax(dim=-1)
    q = torch.nn.functional.one_hot(drafts, vocab).double()
    u_accept, u_resample = _uniforms(g, drafts, q, p, reject_at=1)
    d = int(drafts[1])
    cdf = _draw_boundaries(p[1])
    residual = p[1].clone()
    residual[d] = 0
    u_resample[1] = _uniform(g, _draw_boundaries(residual), low=float(cdf[d]) + MARGIN, high=float(cdf[d + 1]) - MARGIN)
    return drafts, q, p, u_accept, u_resample


def cases(seed: int) -> list[Case]:
    g = torch.Generator().manual_seed(seed)
    t = torch.tensor
    same_q, same_p = _distributions(g, 3, 10, torch.float32, closeness=0.0)
    same_drafts = torch.multinomial(same_q.double(), 1, generator=g)[:, 0]
    return [
        Case("accept-all-then-bonus",
             args=(t([1, 0]), t([[0.2, 0.5, 0.3], [0.6, 0.2, 0.2]]), t([[0.1, 0.6, 0.3], [0.7, 0.1, 0.2], [0.25, 0.25, 0.5]]),
                   t([0.9, 0.5]), t([0.3, 0.3, 0.6])), visible=True,
             explain="Both drafts have p >= q, so both are accepted; the bonus draw from p_2 with u = 0.6 gives token 2."),
        Case("reject-and-resample-residual",
             args=(t([1, 1]), t([[0.3, 0.3, 0.4], [0.1, 0.8, 0.1]]), t([[0.2, 0.5, 0.3], [0.5, 0.2, 0.3], [0.3, 0.3, 0.4]]),
                   t([0.9, 0.6]), t([0.2, 0.6, 0.5])), visible=True,
             explain="Draft 1 at slot 1 has p/q = 0.25 < u = 0.6 and is rejected; the residual (0.4, 0, 0.2) with u = 0.6 gives token 0."),
        Case("random-float32", args=_sampled_round(g, 4, 20), explain="A drafter close to the target, float32, natural accept/reject pattern."),
        Case("random-float64", args=_sampled_round(g, 3, 12, torch.float64), explain="float64 probabilities and uniforms."),
        Case("rejected-at-first", args=_sampled_round(g, 4, 16, reject_at=0), explain="The first draft is rejected: one resampled token, the rest discarded."),
        Case("draft-equals-target", args=(same_drafts, same_q, same_p, *_uniforms(g, same_drafts, same_q, same_p)),
             explain="When q equals p every draft is accepted and the bonus comes from the last row."),
        Case("deterministic-drafter", args=_lookup_round(g, 3, 8),
             explain="A one-hot drafter: the rejected draft has zero residual weight, so the replacement can never be the draft itself."),
        Case("no-drafts", args=_sampled_round(g, 0, 9), explain="With no drafts the round is one draw from p_0 with u_resample[0]."),
        Case("large-8-drafts-vocab-32000", args=_sampled_round(g, 8, 32000), explain="Eight drafts over a realistic vocabulary, timed against the oracle."),
    ]


def expected(case: Case):
    drafts, q, p, u_accept, u_resample = case.args
    out: list[int] = []
    for i, d in enumerate(drafts.tolist()):
        if float(u_accept[i]) < _ratio(p[i], q[i], d):
            out.append(d)
            continue
        residual = (p[i].double() - q[i].double()).clamp(min=0)
        return out + [_draw(residual, float(u_resample[i]))]
    return out + [_draw(p[-1], float(u_resample[-1]))]
