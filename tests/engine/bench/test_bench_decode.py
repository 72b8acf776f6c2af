"""The benchmark's pieces on a tiny model, and its report (the full run is `python -m engine bench`)."""
from __future__ import annotations

import pytest

from engine import build_model
from engine.bench.decode import _TokenClock, bandwidth_floor, kv_cache_vs_none, render_markdown
from engine.core.config import ModelConfig

TINY = ModelConfig(vocab_size=256, d_model=64, n_layers=2, n_heads=4, n_kv_heads=2, d_ff=128, max_seq_len=256)


@pytest.fixture(scope="module")
def tiny():
    return build_model(TINY)


def test_kv_cache_vs_none_measures_each_length(tiny):
    rows = kv_cache_vs_none(tiny, (16, 64), reps=1, progress=lambda msg: None)
    assert [r["context_tokens"] for r in rows] == [16, 64]
    assert all(r["cached_ms"] > 0 and r["recompute_ms"] > 0 for r in rows)
    # The ratio comes from unrounded times, so compare it loosely with the rounded ones.
    assert all(r["speedup"] == pytest.approx(r["recompute_ms"] / r["cached_ms"], rel=0.05) for r in rows)


def test_bandwidth_floor_uses_weights_plus_cache(tiny):
    floor = bandwidth_floor(tiny, decode_tokens_per_s=100.0, prompt_tokens=10)
    weights = sum(p.numel() * 4 for p in tiny.parameters())
    assert floor["weight_bytes_per_token"] == weights
    assert floor["measured_ms_per_token"] == 10.0
    expected = (weights + floor["cache_bytes_per_token_mean"]) / (floor["copy_bandwidth_gb_s"] * 1e9) * 1e3
    # Reported values are rounded (ms to 0.01, GB/s to 0.01), so compare at that resolution.
    assert floor["floor_ms_per_token"] == pytest.approx(expected, rel=0.01, abs=0.01)
    assert floor["fraction_of_floor"] == pytest.approx(floor["floor_ms_per_token"] / 10.0, rel=0.01, abs=0.002)
    assert "hf_ms_per_token" not in floor


def test_bandwidth_floor_places_hf_on_the_same_scale(tiny, monkeypatch):
    monkeypatch.setattr("engine.experiments.measure.copy_bandwidth", lambda: 1e8)  # 100 MB/s: a floor of a few ms
    floor = bandwidth_floor(tiny, decode_tokens_per_s=100.0, prompt_tokens=10, hf_tokens_per_s=50.0)
    floor_ms = (floor["weight_bytes_per_token"] + floor["cache_bytes_per_token_mean"]) / 1e8 * 1e3
    assert floor["floor_ms_per_token"] == pytest.approx(floor_ms, abs=0.01)
    assert floor["hf_ms_per_token"] == 20.0
    assert floor["hf_fraction_of_floor"] == pytest.approx(floor_ms / 20.0, abs=0.001)
    assert floor["speedup_ceiling_over_hf"] == pytest.approx(20.0 / floor_ms, abs=0.01)


def test_token_clock_separates_ttft_from_decode_steps():
    clock = _TokenClock()
    clock.start = 0.0
    clock.times = [0.5, 1.0, 1.2, 1.5]  # prompt echoed, then three tokens
    ttft, steps = clock.decode_step_times()
    assert ttft == 1.0 and steps == pytest.approx([0.2, 0.3])


def test_percentile_picks_from_the_fast_end():
    from engine.bench.decode import _percentile

    assert _percentile([5.0, 1.0, 3.0, 2.0, 4.0, 9.0, 8.0, 7.0, 6.0, 10.0], 10) == 2.0
    assert _percentile([3.0], 10) == 3.0


def test_markdown_reports_numbers_and_verdicts():
    result = {
        "quick": False,
        "machine": {"date": "2026-01-01 00:00 UTC", "cpu": "Test CPU", "cores": 2, "threads_used": 2,
                    "torch": "2.13.0", "python": "3.11", "load_average_at_start": [1.0], "load_average_at_end": [2.0]},
        "engine_vs_hf": {"new_tokens": 128, "rounds": 3, "engine_decode_tokens_per_s": 45.0, "hf_decode_tokens_per_s": 25.0,
                         "engine_runs_tokens_per_s": [45.0], "hf_runs_tokens_per_s": [25.0], "prompt_tokens": 40,
                         "engine_ttft_ms": 80.0, "hf_ttft_ms": 120.0, "speedup": 1.8, "target_speedup": 1.5,
                         "tokens_identical": True},
        "bandwidth_floor": {"copy_bandwidth_gb_s": 20.0, "weight_bytes_per_token": 538_000_000,
                            "cache_bytes_per_token_mean": 4_000_000, "floor_ms_per_token": 27.1,
                            "measured_ms_per_token": 30.0, "fraction_of_floor": 0.9, "target_fraction": 0.7,
                            "hf_ms_per_token": 40.0, "hf_fraction_of_floor": 0.68, "speedup_ceiling_over_hf": 1.48},
        "kv_cache_vs_none": [{"context_tokens": 64, "cached_ms": 30.0, "recompute_ms": 90.0, "speedup": 3.0}],
    }
    text = render_markdown(result)
    assert "Speed-up (HF's 10th-percentile step time / ours) **1.8x** (target 1.5x: met)" in text
    assert "**90%** (target 70%)" in text
    assert "| 64 | 30.0 | 90.0 | 3.0x |" in text
    assert "could beat it by more than 1.48x" in text
    assert "Test CPU" in text and "noisy" in text
    result["engine_vs_hf"]["speedup"] = 1.2
    assert "target 1.5x: not met" in render_markdown(result)
