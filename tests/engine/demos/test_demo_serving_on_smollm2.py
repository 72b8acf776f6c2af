"""The serving demos that run the real SmolLM2-135M, with small parameters (one shared model copy)."""
from __future__ import annotations

import pytest

from engine.demos import run_demo

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def warm_model(smollm2, smollm2_native, monkeypatch):
    """Hand the session's models to the demos instead of loading second copies."""

    def shared_model(*args, weights="dequantized", **kwargs):
        return smollm2 if weights == "dequantized" else (smollm2_native, smollm2[1])

    monkeypatch.setattr("engine.io.loader.shared_model", shared_model)


def metric(result, prefix):
    return next(m["value"] for m in result["metrics"] if m["name"].startswith(prefix))


def test_speculative_decoding_keeps_greedy_output_and_accepts_quoted_drafts(demo_contract):
    result = run_demo("speculative_decoding", {"max_new_tokens": 24, "k": 2})
    demo_contract(result)
    assert metric(result, "output identical") == "yes"
    assert metric(result, "acceptance rate") > 30
    assert metric(result, "tokens per target pass") > 1.3


def test_quantization_shrinks_the_model_and_barely_moves_perplexity(demo_contract):
    result = run_demo("quantization_int8")
    demo_contract(result)
    assert metric(result, "compression") > 2
    assert abs(metric(result, "perplexity change")) < 5
    assert len(result["charts"][0]["series"]) == 4
    rows = {row[0]: row[1:] for row in result["table"]["rows"]}
    float32_read, _, gguf_read = rows["weight bytes read per decode token (MiB)"]
    assert gguf_read < float32_read / 4  # Q4_1 / Q8_0 blocks against float32
    # 183 positions of the demo's short passage, with the layers' activations rounded to int8 (measured
    # 96.2%); the >= 97% target over the 523-token held-out passage is asserted in tests/engine/io/test_gguf_native.py.
    assert rows["top-1 agreement with float32 (teacher-forced, %)"][2] >= 95


def test_batch_size_tradeoff_throughput_grows_with_batch(demo_contract):
    result = run_demo("batch_size_tradeoff", {"max_batch": 4, "context": 16, "reps": 1})
    demo_contract(result)
    assert [row[0] for row in result["table"]["rows"]] == [1, 2, 4]
    throughput = result["charts"][0]["series"][0]["y"]
    assert throughput[-1] > throughput[0]
