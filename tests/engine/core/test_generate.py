"""The generation loop on a tiny random model: caches agree, stops, streaming, seeds and bad requests."""
from __future__ import annotations

import pytest
import torch

from engine import build_model, generate, stream_generate
from engine.core.config import ModelConfig
from engine.core.sampling import SamplingError, SamplingParams

CONFIG = ModelConfig(vocab_size=128, d_model=64, n_layers=2, n_heads=4, n_kv_heads=2, d_ff=128, max_seq_len=96)
PROMPT = [5, 17, 42, 8, 99, 3]
GREEDY = SamplingParams(temperature=0.0)


@pytest.fixture(scope="module")
def model():
    return build_model(CONFIG, seed=3)


def reference_greedy(model, prompt: list[int], n: int) -> list[int]:
    """Greedy decoding the slow, obvious way: a full forward pass per token, no cache."""
    seq = list(prompt)
    for _ in range(n):
        with torch.no_grad():
            seq.append(int(model(torch.tensor([seq]))[0, -1].argmax()))
    return seq[len(prompt) :]


@pytest.mark.parametrize("cache", ["static", "dynamic", "none"])
def test_greedy_tokens_match_full_recompute(model, cache):
    result = generate(model, PROMPT, 24, GREEDY, cache=cache)
    assert result.tokens == reference_greedy(model, PROMPT, 24)
    assert result.stopped_by == "max_new_tokens"
    assert result.prompt_tokens == len(PROMPT)


def test_sliding_cache_with_a_window_covering_everything_is_exact(model):
    result = generate(model, PROMPT, 20, GREEDY, cache="sliding", window=64)
    assert result.tokens == reference_greedy(model, PROMPT, 20)


def test_result_reports_timings_and_cache_bytes(model):
    result = generate(model, PROMPT, 10, GREEDY, cache="dynamic")
    assert result.ttft_s > 0 and result.tpot_s > 0 and result.total_s >= result.ttft_s
    assert result.tokens_per_s == pytest.approx(1 / result.tpot_s)
    assert len(result.step_times_s) == 9
    per_token = 2 * CONFIG.n_layers * CONFIG.n_kv_heads * CONFIG.head_dim * 4
    # The last token is chosen but never fed back, so the cache holds prompt + 9 generated positions.
    assert result.cache_bytes == per_token * (len(PROMPT) + 9)


def test_stream_yields_the_same_tokens_as_generate(model):
    streamed = list(stream_generate(model, PROMPT, 15, GREEDY))
    assert streamed == generate(model, PROMPT, 15, GREEDY).tokens


def test_generate_passes_its_options_to_the_stream_and_reports_the_cache(model):
    options = {"cache": "sliding", "window": 8, "stop_token_ids": ()}
    streamed = list(stream_generate(model, PROMPT, 15, GREEDY, **options))
    result = generate(model, PROMPT, 15, GREEDY, **options)
    assert result.tokens == streamed and result.cache == "sliding"
    assert generate(model, PROMPT, 3, GREEDY).cache == "static"  # stream_generate's default


def test_generate_options_are_keyword_only(model):
    with pytest.raises(TypeError):
        generate(model, PROMPT, 3, GREEDY, "dynamic")


def test_stop_token_ends_generation_and_is_included(model):
    full = generate(model, PROMPT, 20, GREEDY).tokens
    stop = full[5]
    result = generate(model, PROMPT, 20, GREEDY, stop_token_ids=[stop])
    assert result.tokens == full[: full.index(stop) + 1]
    assert result.stopped_by == "stop_token"
    via_params = generate(model, PROMPT, 20, SamplingParams(temperature=0.0, stop_token_ids=(stop,)))
    assert via_params.tokens == result.tokens


def test_seeded_sampling_reproduces_and_differs_across_seeds(model):
    def run(seed: int) -> list[int]:
        return generate(model, PROMPT, 20, SamplingParams(temperature=1.5, top_k=40, seed=seed)).tokens

    assert run(1) == run(1)
    assert run(1) != run(2)


def test_sampling_with_penalties_runs_through_every_cache(model):
    params = SamplingParams(temperature=0.0, repetition_penalty=1.5, frequency_penalty=0.3)
    outputs = {cache: generate(model, PROMPT, 12, params, cache=cache).tokens for cache in ("static", "dynamic", "none")}
    assert outputs["static"] == outputs["dynamic"] == outputs["none"]


def test_progress_is_reported(model):
    calls = []
    generate(model, PROMPT, 20, GREEDY, progress=lambda pct, msg: calls.append((pct, msg)))
    assert calls and all(0 <= pct < 100 for pct, _ in calls)
    assert calls[-1][1] == "20/20 tokens"


def test_accepts_a_tensor_prompt(model):
    assert generate(model, torch.tensor(PROMPT), 5, GREEDY).tokens == generate(model, PROMPT, 5, GREEDY).tokens


def test_empty_prompt_is_rejected(model):
    with pytest.raises(ValueError, match="prompt_ids: the prompt is empty"):
        generate(model, [], 5)


def test_prompt_longer_than_max_seq_len_is_rejected(model):
    with pytest.raises(ValueError, match="prompt_ids: the prompt has 100 tokens; the model's max_seq_len is 96"):
        generate(model, [1] * 100, 5)


def test_too_many_new_tokens_names_the_limit(model):
    with pytest.raises(ValueError, match="max_new_tokens must be at most 90 for a 6-token prompt"):
        generate(model, PROMPT, 91)


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_max_new_tokens_must_be_a_positive_integer(model, bad):
    with pytest.raises(ValueError, match="max_new_tokens must be a positive integer"):
        generate(model, PROMPT, bad)


def test_unknown_cache_type_is_rejected(model):
    with pytest.raises(ValueError, match="cache: unknown cache type 'paged'"):
        generate(model, PROMPT, 5, cache="paged")


def test_invalid_sampling_values_fail_before_any_work():
    with pytest.raises(SamplingError, match="top_p must be in"):
        SamplingParams(top_p=0)
