"""Hidden tests for speculative-expected-tokens.

Oracle: the sum 1 + alpha + ... + alpha^gamma term by term, added with math.fsum (no rounding in the
sum itself), so it shares neither the closed form nor its alpha = 1 special case with the reference.
"""
import math

import torch

from questions.exercises.cases import Case


def cases(seed: int) -> list[Case]:
    g = torch.Generator().manual_seed(seed)
    alpha = round(float(torch.rand((), generator=g, dtype=torch.float64)), 6)
    gamma = int(torch.randint(1, 17, (1,), generator=g))
    return [
        Case("alpha-0.8-gamma-4", args=(0.8, 4), visible=True,
             explain="The statement's example: about 3.36 tokens per target pass."),
        Case("half-acceptance", args=(0.5, 3), visible=True,
             explain="alpha = 0.5, three drafts: 1 + 1/2 + 1/4 + 1/8 = 1.875."),
        Case("nothing-accepted", args=(0.0, 5),
             explain="A draft that is always rejected still leaves the target's own token: exactly 1."),
        Case("always-accepted", args=(1.0, 7),
             explain="alpha = 1: all seven drafts plus the bonus token, 8 (the closed form is 0/0 here)."),
        Case("no-drafts", args=(0.6, 0),
             explain="gamma = 0 is ordinary decoding: one token per pass."),
        Case("nearly-always-accepted", args=(0.999999, 10),
             explain="alpha just below 1: the answer is just below gamma + 1 = 11."),
        Case("random-alpha-gamma", args=(alpha, gamma),
             explain="A random acceptance rate and draft length."),
        Case("large-long-draft", args=(0.95, 1000),
             explain="A very long draft: the expectation saturates near 1 / (1 - alpha) = 20."),
    ]


def expected(case: Case):
    alpha, gamma = case.args
    return math.fsum(alpha**i for i in range(gamma + 1))
