"""engine.serving.speculative: greedy output equals the target's; sampled output follows the target's distribution.

Distribution checks use fixed seeds, so they are deterministic; the tolerances are stated next
to each and sit well below the distance a wrong rule produces (also asserted, so a broken rule
cannot pass by accident).
"""
from __future__ import annotations

import pytest
import torch

from engine import ModelConfig, SamplingParams, build_model, generate
from engine.serving.speculative import EarlyExitDraft, PromptLookupDraft, speculative_generate, verify

GREEDY = SamplingParams(temperature=0.0)


# Tiny tensors: on a shared 2-core box, intra-op threads cost more than they give.
pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def model():
    config = ModelConfig(vocab_size=64, d_model=32, n_layers=4, n_heads=4, n_kv_heads=2, d_ff=64, max_seq_len=256)
    return build_model(config, seed=1).to(torch.float64)


@pytest.fixture(scope="module")
def peaked_model():
    """Vocabulary of 8 and weights scaled up so that distributions are peaked and the early-exit
    draft really differs from the target (total variation ~0.1 at the first step)."""
    config = ModelConfig(vocab_size=8, d_model=16, n_layers=2, n_heads=2, n_kv_heads=1, d_ff=32, max_seq_len=64)
    model = build_model(config, seed=3).to(torch.float64)
    with torch.no_grad():
        for weight in model.parameters():
            if weight.dim() == 2:
                weight.mul_(40)
    return model


def tv(a: torch.Tensor, b: torch.Tensor) -> float:
    return 0.5 * float((a.double() - b.double()).abs().sum())


QUOTING_PROMPT = [5, 9, 12, 7, 30, 31, 2, 5, 9, 12, 7, 30, 44, 5, 9]


@pytest.mark.parametrize("k", [1, 4])
@pytest.mark.parametrize("drafter", ["lookup", "early_exit"])
@pytest.mark.parametrize("sampling", [GREEDY, SamplingParams(temperature=0.0, repetition_penalty=1.5)], ids=["plain", "penalty"])
def test_greedy_speculation_reproduces_target_greedy(model, k, drafter, sampling):
    draft = PromptLookupDraft() if drafter == "lookup" else EarlyExitDraft(model, 2)
    expected = generate(model, QUOTING_PROMPT, 40, sampling).tokens
    result = speculative_generate(model, QUOTING_PROMPT, 40, draft, k=k, sampling=sampling)
    assert result.tokens == expected
    assert result.target_forwards <= 39


def test_accepted_drafts_save_target_passes(model):
    result = speculative_generate(model, QUOTING_PROMPT, 40, EarlyExitDraft(model, 3), k=4)
    assert result.acceptance_rate > 0.5
    assert result.target_forwards < 39 / 1.5


def test_stop_tokens_end_speculation_at_the_stop(model):
    expected = generate(model, QUOTING_PROMPT, 30, GREEDY).tokens
    stop = expected[5]
    result = speculative_generate(model, QUOTING_PROMPT, 30, PromptLookupDraft(), k=4, stop_token_ids=[stop])
    assert result.tokens == expected[: expected.index(stop) + 1] and result.stopped_by == "stop_token"


def test_prompt_lookup_proposes_what_followed_the_latest_match():
    draft = PromptLookupDraft(ngram_max=2)
    assert draft.propose([1, 2, 3, 4, 1, 2, 8, 9, 1, 2], 3, GREEDY, None) == ([8, 9, 1], None)
    assert draft.propose([1, 2, 3], 3, GREEDY, None) == ([], None)


@pytest.mark.parametrize("deterministic", [True, False], ids=["one-hot draft", "sampled draft"])
def test_the_acceptance_rule_emits_tokens_distributed_as_the_target(deterministic):
    gen = torch.Generator().manual_seed(0)
    p = torch.softmax(torch.randn(3, 6, generator=gen) * 2, dim=-1)
    q = None if deterministic else torch.softmax(torch.randn(2, 6, generator=gen) * 2, dim=-1)
    trials = 20000
    counts = torch.zeros(6)
    for _ in range(trials):
        drafts = [2, 4] if deterministic else [int(torch.multinomial(q[i], 1, generator=gen)) for i in range(2)]
        emitted, _ = verify(p, drafts, q, gen)
        counts[emitted[0]] += 1
    # Sampling noise at 20000 draws over 6 outcomes is ~0.006 total variation; allow 0.02.
    assert tv(counts / trials, p[0]) < 0.02
    # ...and the draft's own distribution is far from the target, so accepting drafts blindly would fail.
    draft_dist = torch.nn.functional.one_hot(torch.tensor(2), 6).double() if deterministic else q[0]
    assert tv(draft_dist, p[0]) > 0.2


def test_sampled_speculation_matches_the_target_distribution_end_to_end(peaked_model):
    """The 2nd generated token is the first one decided by draft-and-verify; compare its
    empirical distribution over 1500 seeds with the exact target marginal."""
    model, prompt = peaked_model, [1, 2, 3]
    with torch.inference_mode():
        first = model(torch.tensor([prompt]))[0, -1].softmax(-1)
        exact = sum(first[t] * model(torch.tensor([[*prompt, t]]))[0, -1].softmax(-1) for t in range(8))
        draft = EarlyExitDraft(model, 1)
        draft.start(prompt, 8)
        draft_first = draft._logits(prompt).softmax(-1)
    assert tv(draft_first, first) > 0.08  # the draft is a genuinely different distribution
    counts = torch.zeros(8)
    accepted = 0
    runs = 1500
    for seed in range(runs):
        result = speculative_generate(
            model, prompt, 4, EarlyExitDraft(model, 1), k=2, sampling=SamplingParams(temperature=1.0, seed=seed)
        )
        counts[result.tokens[1]] += 1
        accepted += result.accepted
    assert accepted > runs  # drafts really were accepted (and rejected: see the rate below)
    assert tv(counts / runs, exact) < 0.05  # expected sampling noise ~0.02 at 1500 runs


def test_k_must_be_in_range(model):
    with pytest.raises(ValueError, match="k .* between 1 and 16"):
        speculative_generate(model, [1, 2], 4, PromptLookupDraft(), k=0)
    with pytest.raises(ValueError, match="n_layers must be between 1 and 3"):
        EarlyExitDraft(model, 4)
