"""engine.experiments.serving's pieces on tiny models, and the report built from them (`python -m engine.bench.serving`)."""
from __future__ import annotations

import pytest

from engine import build_model
from engine.bench.serving import render_markdown
from engine.core.config import ModelConfig
from engine.experiments.measure import one_thread
from engine.experiments.serving import Workload, batching_throughput, fragmentation_for, memory_waste

TINY = ModelConfig(vocab_size=128, d_model=32, n_layers=1, n_heads=2, n_kv_heads=1, d_ff=64, max_seq_len=512)


@pytest.fixture(scope="module")
def tiny():
    return build_model(TINY)


def test_fragmentation_counts_the_empty_tail_of_each_last_block():
    assert fragmentation_for([[5, 8]], 4) == pytest.approx(3 / 16)  # 2 + 2 blocks, 13 tokens
    assert fragmentation_for([[5], [6]], 1) == 0.0


def test_memory_waste_compares_the_same_live_requests(tiny):
    result = memory_waste(tiny, Workload(n_requests=6, prompt_range=(4, 8), output_range=(4, 40), seed=1), block_size=4)
    assert 0 <= result["paged_waste"] < 0.25 < result["contiguous_waste"] < 1
    assert result["max_len"] == 48
    series = result["series"]
    assert all(t <= p <= c for t, p, c in zip(series["tokens"], series["paged_slots"], series["contiguous_slots"]))
    assert result["paged_waste"] == pytest.approx(fragmentation_for(result["live_lengths"], 4))


def test_batching_throughput_serves_identical_tokens_in_the_same_budget(tiny):
    with one_thread():
        result = batching_throughput(tiny, Workload(n_requests=6, prompt_range=(4, 8), output_range=(4, 24)), static_batch=2, block_size=4)
    assert result["identical_outputs"] is True
    assert result["kv_budget_tokens"] == 2 * 32
    assert result["static"]["tokens"] == result["continuous"]["tokens"] == sum(result["per_request"]["output_tokens"])
    assert result["speedup"] == pytest.approx(result["continuous"]["tokens_per_s"] / result["static"]["tokens_per_s"])


def test_markdown_reports_each_comparison():
    result = {
        "date": "2026-01-01 00:00 UTC", "quick": False,
        "environment": {"device": "cpu", "cpu": "Test CPU", "cpu_threads": 1, "torch": "2.13.0", "gpu_name": None},
        "memory": {"block_size": 16, "max_len": 320, "paged_waste": 0.031, "contiguous_waste": 0.66, "by_block_size": {"8": 0.02, "16": 0.031, "32": 0.06},
                   "chat_lengths": {"prompt_range": [32, 512], "output_range": [32, 512], "max_len": 1024,
                                    "paged_waste": 0.016, "contiguous_waste": 0.56}},
        "batching": {"requests": 32, "output_range": [16, 256], "kv_budget_tokens": 2560, "model": "smollm2-135m", "static_batch": 8,
                     "static": {"tokens_per_s": 50.0, "ttft_median_s": 3.0, "tpot_median_s": 0.1},
                     "continuous": {"tokens_per_s": 120.0, "ttft_median_s": 0.2, "tpot_median_s": 0.15, "iterations": 300, "preemptions": 4},
                     "speedup": 2.4, "identical_outputs": True},
        "speculative": {"model": "smollm2-135m", "new_tokens": 96, "prompt_tokens": 142, "plain_decode_tokens_per_s": 12.0,
                        "drafter": "prompt_lookup", "k": 2, "speculative_decode_tokens_per_s": 24.0, "decode_speedup": 2.0,
                        "end_to_end_speedup": 1.8, "acceptance_rate": 0.8, "tokens_per_target_forward": 2.6, "identical_output": True},
    }
    text = render_markdown(result)
    assert "paged: 3.1%" in text and "66.0%" in text
    assert "32 chat-length requests (prompts 32–512, outputs 32–512 tokens; block 16)" in text
    assert "(1024 tokens/request): 56.0% | paged: 1.6%" in text
    assert "| 2.40x |" in text and "| 2.00x (end to end, prefill included: 1.80x) |" in text
    assert "output identical to plain greedy: True" in text
