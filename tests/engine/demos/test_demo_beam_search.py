"""Beam search (engine.core.beam_search) and the beam_search demo.

On a tiny random model: width 1 is greedy, a beam as wide as the search space finds the exact
optimum, and the reported log-probabilities are the model's. On the real SmolLM2 weights: the same
hypotheses and scores as HF ``generate(num_beams=..., do_sample=False)``.
"""
from __future__ import annotations

import itertools

import pytest
import torch

from engine import build_model, generate
from engine.core.beam_search import beam_search
from engine.core.config import ModelConfig
from engine.demos import DemoParamError, get_demo, run_demo
from engine.core.sampling import SamplingParams

TINY = ModelConfig(vocab_size=6, d_model=32, n_layers=2, n_heads=4, n_kv_heads=2, d_ff=64, max_seq_len=32)
PROMPT = [1, 4, 2]


@pytest.fixture(scope="module")
def tiny():
    return build_model(TINY, seed=5)


def sequence_logprob(model, prompt: list[int], tokens: tuple[int, ...]) -> float:
    with torch.inference_mode():
        logp = model(torch.tensor([prompt + list(tokens)]))[0].float().log_softmax(-1)
    return sum(float(logp[len(prompt) - 1 + i, t]) for i, t in enumerate(tokens))


def test_one_beam_is_greedy(tiny):
    result = beam_search(tiny, PROMPT, num_beams=1, max_new_tokens=10)
    assert list(result.best.tokens) == generate(tiny, PROMPT, 10, SamplingParams(temperature=0.0)).tokens


def test_a_beam_covering_every_sequence_finds_the_optimum(tiny):
    # 6 tokens, 3 steps: 36 beams hold every 2-token prefix, so nothing is ever pruned.
    result = beam_search(tiny, PROMPT, num_beams=36, max_new_tokens=3, length_penalty=0.0)
    best = max(itertools.product(range(6), repeat=3), key=lambda seq: sequence_logprob(tiny, PROMPT, seq))
    assert result.best.tokens == best
    for hypothesis in result.hypotheses[:5]:
        assert hypothesis.logprob == pytest.approx(sequence_logprob(tiny, PROMPT, hypothesis.tokens), abs=1e-4)
        assert hypothesis.score == pytest.approx(hypothesis.logprob)  # length_penalty 0: raw sums


def test_wider_beams_never_score_worse_than_greedy_here(tiny):
    greedy = beam_search(tiny, PROMPT, num_beams=1, max_new_tokens=6, length_penalty=0.0).best
    wide = beam_search(tiny, PROMPT, num_beams=4, max_new_tokens=6, length_penalty=0.0).best
    assert wide.logprob >= greedy.logprob - 1e-6


def test_eos_finishes_a_hypothesis_and_length_penalty_normalises(tiny):
    eos = generate(tiny, PROMPT, 3, SamplingParams(temperature=0.0)).tokens[1]  # greedy's second token
    result = beam_search(tiny, PROMPT, num_beams=3, max_new_tokens=8, length_penalty=1.0, eos_token_ids=[eos])
    for hypothesis in result.hypotheses:
        assert eos not in hypothesis.tokens[:-1]  # nothing is generated past an EOS
        assert hypothesis.score == pytest.approx(hypothesis.logprob / len(hypothesis.tokens))
    assert [h.score for h in result.hypotheses] == sorted((h.score for h in result.hypotheses), reverse=True)
    assert any(result.finished_by_eos(h) for h in result.hypotheses)


def test_bad_beam_width_names_the_field(tiny):
    with pytest.raises(ValueError, match="num_beams"):
        beam_search(tiny, PROMPT, num_beams=0, max_new_tokens=4)


# ------------------------------------------------------------------------------- real weights


@pytest.mark.slow
@pytest.mark.parametrize("num_beams,length_penalty", [(3, 1.0), (4, 0.0)])
def test_same_hypotheses_and_scores_as_hf(smollm2, hf_smollm2, chat_prompt, num_beams, length_penalty):
    """Same token sequences, scores within 2e-3 (the two models' float32 logits differ by < 1e-3)."""
    model, tokenizer = smollm2
    eos = tokenizer.eos_token_id
    new_tokens = 16
    ids = torch.tensor([chat_prompt])
    with torch.no_grad():
        out = hf_smollm2.generate(
            ids, attention_mask=torch.ones_like(ids), num_beams=num_beams, do_sample=False, max_new_tokens=new_tokens,
            length_penalty=length_penalty, eos_token_id=eos, pad_token_id=eos, num_return_sequences=num_beams,
            return_dict_in_generate=True, output_scores=True,
        )
    ours = beam_search(model, chat_prompt, num_beams, new_tokens, length_penalty=length_penalty, eos_token_ids=[eos])
    assert len(ours.hypotheses) == num_beams
    for row, hypothesis in enumerate(ours.hypotheses):
        theirs = out.sequences[row, len(chat_prompt) :].tolist()
        assert list(hypothesis.tokens) == theirs[: len(hypothesis.tokens)]
        assert all(t == eos for t in theirs[len(hypothesis.tokens) :])  # HF pads shorter rows with EOS
        assert hypothesis.score == pytest.approx(float(out.sequences_scores[row]), abs=2e-3)


@pytest.mark.slow
def test_demo_compares_beam_greedy_and_sampling(smollm2, monkeypatch, demo_contract):
    monkeypatch.setattr("engine.io.loader.shared_model", lambda *args, **kwargs: smollm2)
    progress = []
    result = run_demo("beam_search", {"max_new_tokens": 8, "num_beams": 3}, lambda p, m: progress.append(p))
    demo_contract(result)
    rows = {row[0]: row for row in result["table"]["rows"]}
    assert set(rows) == {"greedy", "beam search (3 beams)", "sampling (temperature 1.0)"}
    columns = result["table"]["columns"]
    total, per_token = columns.index("log-likelihood (nats)"), columns.index("per token (nats)")
    for row in rows.values():
        assert row[total] <= 0 and row[per_token] == pytest.approx(row[total] / row[columns.index("tokens")], abs=0.01)
    assert progress == sorted(progress) and progress[-1] == 100
    assert get_demo("beam_search").uses_model


@pytest.mark.parametrize("params,param", [({"num_beams": 0}, "num_beams"), ({"length_penalty": 5}, "length_penalty")])
def test_demo_rejects_bad_params(params, param):
    with pytest.raises(DemoParamError) as info:
        run_demo("beam_search", params)
    assert info.value.param == param
