"""Hidden tests for speculative-greedy-accept; the oracle is the engine's greedy verification."""
import torch

from questions.exercises.cases import Case


def _round(g: torch.Generator, k: int, vocab: int, accept: int, dtype=torch.float32, later_match: bool = False):
    """Target logits and k drafts of which exactly the first ``accept`` equal the target's argmax.

    ``later_match``: after the first mismatch, the next draft equals the target's argmax again, so a
    solution that keeps checking would wrongly accept it.
    """
    logits = (torch.randn(k + 1, vocab, generator=g, dtype=torch.float64) * 2).to(dtype)
    best = logits.argmax(dim=-1)
    drafts = best[:k].clone()
    if accept < k:
        # Any token but the target's choice: shift it by a random non-zero amount.
        drafts[accept] = (best[accept] + torch.randint(1, vocab, (), generator=g)) % vocab
        for i in range(accept + 1, k):
            drafts[i] = best[i] if later_match else torch.randint(0, vocab, (), generator=g)
    return drafts, logits


def cases(seed: int) -> list[Case]:
    g = torch.Generator().manual_seed(seed)
    logits4 = torch.tensor([[0.1, 2.0, 0.3, -1.0], [1.5, 0.0, 0.2, 0.1], [0.0, 0.1, 0.2, 3.0], [0.5, 0.4, 2.2, 0.0]])
    tied = torch.tensor([[1.0, 3.0, 3.0, 0.0], [0.0, 0.0, 0.0, 1.0]])
    return [
        Case("accept-two-then-correct", args=(torch.tensor([1, 0, 2]), logits4), visible=True,
             explain="Drafts 1 and 0 match the target's picks; draft 2 does not, so the target's 3 replaces it and the round ends."),
        Case("all-accepted-plus-bonus", args=(torch.tensor([1, 0, 3]), logits4), visible=True,
             explain="All three drafts match, so the target's pick from the last row (2) is appended as a bonus."),
        Case("first-draft-rejected", args=_round(g, 4, 30, 0), explain="The first draft is wrong: the output is just the target's correction."),
        Case("mismatch-then-later-match", args=_round(g, 5, 25, 1, later_match=True),
             explain="After the first mismatch a later draft happens to agree with the target; it must still be discarded."),
        Case("all-of-eight-accepted", args=_round(g, 8, 40, 8), explain="Eight drafts all accepted: nine tokens come out."),
        Case("random-float32", args=_round(g, 6, 50, int(torch.randint(0, 6, (), generator=g)), later_match=True),
             explain="Random logits with a random number of accepted drafts."),
        Case("random-float64", args=_round(g, 4, 20, 2, torch.float64), explain="float64 target logits, two drafts accepted."),
        Case("no-drafts", args=(torch.zeros(0, dtype=torch.long), torch.randn(1, 10, generator=g)),
             explain="With no drafts the round is a plain greedy step: one target token."),
        Case("tie-goes-to-lowest-index", args=(torch.tensor([2]), tied),
             explain="Tokens 1 and 2 tie for the maximum; the target's pick is the lower index, so draft 2 is rejected."),
        Case("large-16-drafts-vocab-50000", args=_round(g, 16, 50000, 11), explain="Sixteen drafts over a large vocabulary, timed against the engine."),
    ]


def expected(case: Case):
    from engine.serving.speculative import GREEDY, _greedy_accept

    drafts, logits = case.args
    emitted, _ = _greedy_accept(logits, [], drafts.tolist(), GREEDY)
    return emitted
