"""Sampling: every filter and penalty against HF's logits processors, value for value."""
from __future__ import annotations

import math

import pytest
import torch

from engine.core.sampling import SamplingError, SamplingParams, make_generator, process_logits, sample

lp = pytest.importorskip("transformers.generation.logits_process")


def hf_pipeline(logits: torch.Tensor, previous: torch.Tensor, params: SamplingParams) -> torch.Tensor:
    """The processors HF's generate() would build for these settings, in its order."""
    processors = []
    if params.repetition_penalty != 1.0:
        processors.append(lp.RepetitionPenaltyLogitsProcessor(params.repetition_penalty))
    if not params.greedy:
        if params.temperature != 1.0:
            processors.append(lp.TemperatureLogitsWarper(params.temperature))
        if params.top_k:
            processors.append(lp.TopKLogitsWarper(params.top_k))
        if params.top_p < 1.0:
            processors.append(lp.TopPLogitsWarper(params.top_p))
        if params.min_p > 0:
            processors.append(lp.MinPLogitsWarper(params.min_p))
    out = logits
    for processor in processors:
        out = processor(previous, out)
    return out


def random_logits(batch: int = 3, vocab: int = 200, seed: int = 0) -> torch.Tensor:
    return torch.randn(batch, vocab, generator=torch.Generator().manual_seed(seed)) * 3


def previous_ids(batch: int = 3, n: int = 12, vocab: int = 200) -> torch.Tensor:
    return torch.randint(0, vocab, (batch, n), generator=torch.Generator().manual_seed(1))


CASES = [
    SamplingParams(temperature=0.7),
    SamplingParams(top_k=5),
    SamplingParams(top_k=1),
    SamplingParams(top_k=500),  # larger than the vocabulary
    SamplingParams(top_p=0.9),
    SamplingParams(top_p=1e-6),  # keeps only the best token
    SamplingParams(min_p=0.1),
    SamplingParams(repetition_penalty=1.5),
    SamplingParams(repetition_penalty=0.8),  # < 1 encourages repeats
    SamplingParams(temperature=0.0, repetition_penalty=1.3),  # greedy still applies penalties
    SamplingParams(temperature=1.3, top_k=50, top_p=0.8, min_p=0.05, repetition_penalty=1.2),
]


@pytest.mark.parametrize("params", CASES, ids=lambda p: repr(p)[15:80])
def test_matches_hf_processors_exactly(params):
    logits, previous = random_logits(), previous_ids()
    ours = process_logits(logits, previous, params)
    theirs = hf_pipeline(logits, previous, params)
    assert torch.equal(torch.isinf(ours), torch.isinf(theirs))
    assert torch.allclose(ours[~torch.isinf(ours)], theirs[~torch.isinf(theirs)], atol=0, rtol=0)
    assert (ours[torch.isinf(ours)] == -math.inf).all()


@pytest.mark.parametrize("params", [SamplingParams(top_k=3), SamplingParams(top_p=0.5), SamplingParams(min_p=0.5)])
def test_ties_and_all_equal_logits_match_hf(params):
    ties = torch.tensor([[1.0, 3.0, 3.0, 3.0, 0.5, 3.0, -1.0, 2.0]])
    equal = torch.zeros(2, 10)
    none = torch.empty(1, 0, dtype=torch.long)
    for logits in (ties, equal):
        prev = none.expand(logits.shape[0], 0)
        assert torch.equal(process_logits(logits, prev, params), hf_pipeline(logits, prev, params))


def test_top_k_keeps_everything_tied_with_the_kth():
    logits = torch.tensor([[5.0, 4.0, 4.0, 4.0, 1.0]])
    out = process_logits(logits, None, SamplingParams(top_k=2))
    assert torch.isinf(out).tolist() == [[False, False, False, False, True]]


def test_repetition_penalty_makes_seen_ids_less_likely_whatever_their_sign():
    logits = torch.tensor([4.0, 0.5, -2.0, 1.0])
    out = process_logits(logits, torch.tensor([0, 1, 2]), SamplingParams(repetition_penalty=2.0))
    assert out.tolist() == [2.0, 0.25, -4.0, 1.0]  # unseen id 3 untouched


def test_frequency_and_presence_penalties_subtract_counts():
    logits = torch.zeros(1, 4)
    out = process_logits(logits, torch.tensor([[1, 1, 1, 2]]), SamplingParams(frequency_penalty=0.5, presence_penalty=0.25))
    assert out.tolist() == [[0.0, -1.75, -0.75, 0.0]]


def test_seeded_sampling_is_reproducible_and_seeds_differ():
    logits = random_logits(1, 1000)
    params = SamplingParams(temperature=1.0, seed=7)

    def draws(p: SamplingParams) -> list[int]:
        g = make_generator(p)
        return [int(sample(logits, p, g)) for _ in range(30)]

    assert draws(params) == draws(params)
    assert draws(params) != draws(SamplingParams(temperature=1.0, seed=8))


def test_sampling_never_picks_a_filtered_token():
    logits = random_logits(1, 50)
    params = SamplingParams(top_k=3, seed=0)
    allowed = set(torch.topk(logits, 3).indices[0].tolist())
    g = make_generator(params)
    processed = process_logits(logits, None, params)
    assert {int(sample(processed, params, g)) for _ in range(200)} <= allowed


def test_greedy_is_argmax():
    logits = random_logits(2, 30)
    assert torch.equal(sample(logits, SamplingParams(temperature=0.0)), logits.argmax(-1))


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("temperature", -0.1, r"temperature must be in \[0, 100\], got -0.1"),
        ("temperature", float("nan"), "temperature must be a number"),
        ("top_k", -1, "top_k must be a non-negative integer"),
        ("top_k", 2.5, "top_k must be a non-negative integer"),
        ("top_p", 0.0, r"top_p must be in \(0, 1\], got 0"),
        ("top_p", 1.5, r"top_p must be in \(0, 1\], got 1.5"),
        ("min_p", 1.2, r"min_p must be in \[0, 1\]"),
        ("repetition_penalty", 0.0, r"repetition_penalty must be in \(0, 100\]"),
        ("frequency_penalty", 3.0, r"frequency_penalty must be in \[-2, 2\]"),
        ("presence_penalty", "x", "presence_penalty must be a number"),
        ("seed", -3, "seed must be a non-negative integer"),
        ("stop_token_ids", ["a"], "stop_token_ids must be a list of token ids"),
    ],
)
def test_invalid_settings_name_the_field_and_range(field, value, message):
    with pytest.raises(SamplingError, match=message):
        SamplingParams(**{field: value})


def test_from_dict_rejects_unknown_settings():
    with pytest.raises(SamplingError, match="top_q is not a sampling setting"):
        SamplingParams.from_dict({"top_q": 0.5})
    assert SamplingParams.from_dict({"top_k": 4}).top_k == 4
