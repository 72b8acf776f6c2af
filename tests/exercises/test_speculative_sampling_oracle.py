"""The speculative-rejection-sampling oracle is right in the sense that matters: what it emits is distributed as p.

The exercise grades exact outputs for supplied uniforms, so its float64 oracle (written in the
exercise's cases.py, since the engine draws its own uniforms) decides every verdict. Here the oracle is
driven with fresh uniforms many times: the first token of a round must follow the target distribution p
whatever the drafter's q, which is the whole point of the accept/resample rule. The same measurement on
the wrong solution that resamples from p shows the check can fail.
"""
from __future__ import annotations

import torch

from questions.exercises.cases import Case
from questions.exercises.catalogue import get_exercise
from questions.exercises.grading.exercise_cases import cases_module

SLUG = "speculative-rejection-sampling"
# A drafter that disagrees with the target a lot: half of all drafts are rejected.
Q = torch.tensor([0.6, 0.2, 0.1, 0.1], dtype=torch.float64)
P = torch.tensor([0.1, 0.2, 0.3, 0.4], dtype=torch.float64)
ROUNDS = 2000
# Five standard errors of a frequency near 0.5 over ROUNDS draws: a correct rule stays inside it
# (with overwhelming probability for this fixed seed); resampling from p misses token 3 by 0.1.
TOLERANCE = 5 * (0.25 / ROUNDS) ** 0.5


def _first_token_frequencies(emit) -> torch.Tensor:
    """Run one-draft rounds (draft d ~ q, fresh uniforms) and count the first emitted token."""
    g = torch.Generator().manual_seed(1234)
    counts = torch.zeros(len(P), dtype=torch.float64)
    drafts = torch.multinomial(Q, ROUNDS, replacement=True, generator=g)
    uniforms = torch.rand(ROUNDS, 3, generator=g, dtype=torch.float64)
    q, p = Q[None], torch.stack([P, P])  # p has K + 1 = 2 rows; the second only feeds a bonus token
    for d, u in zip(drafts.tolist(), uniforms):
        counts[emit(torch.tensor([d]), q, p, u[:1], u[1:])[0]] += 1
    return counts / ROUNDS


def test_the_oracle_emits_tokens_distributed_as_the_target() -> None:
    expected = cases_module(get_exercise(SLUG)).expected
    frequencies = _first_token_frequencies(lambda *args: expected(Case("statistical-round", args=args)))
    assert (frequencies - P).abs().max() < TOLERANCE, f"oracle frequencies {frequencies.tolist()} vs p {P.tolist()}"


def _solution(source: str):
    namespace: dict = {}
    exec(compile(source, SLUG, "exec"), namespace)
    return namespace["accept_sampled"]


def test_resampling_from_p_is_biased_and_the_check_sees_it() -> None:
    wrong = next(w for w in get_exercise(SLUG).wrong if w.file == "resamples_from_target.py")
    frequencies = _first_token_frequencies(_solution(wrong.source))
    # Expected bias: token 3 comes out with min(p, q) + P(reject) * p = 0.1 + 0.5 * 0.4 = 0.3, not 0.4.
    assert (frequencies - P).abs().max() > TOLERANCE, f"{frequencies.tolist()} looks like p; the check cannot fail"
