"""The benchmark's pieces on a tiny model, and its report (the full run is `python -m engine bench`)."""
from __future__ import annotations

import pytest

from engine import build_model
from engine.bench.decode import kv_cache_vs_none, render_markdown
from engine.bench.peers import TARGETS, _leading_agreement, _percentile, llama_cpp_unavailable, read_bandwidth
from engine.bench.peers import render_markdown as decode_markdown
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


def sample_decode_result(native_tps: float = 120.0, llama_tps: float | None = 100.0) -> dict:
    def row(label, tps, nbytes, floor_ms, lead):
        return {"label": label, "tokens_per_s": tps, "step_ms_p10": round(1e3 / tps, 2), "step_ms_median": round(1e3 / tps, 2),
                "runs_tokens_per_s": [tps], "ttft_ms": 80.0, "new_tokens": 128, "bytes_per_token": nbytes,
                "bytes_note": "note", "floor_ms": floor_ms, "fraction_of_floor": round(floor_ms * tps / 1e3, 3),
                "tokens_same_every_round": True, "leading_tokens_equal_to_engine_float32": lead}

    paths = {
        "hf_float32": row("HF", 28.0, 543_000_000, 18.1, 128),
        "engine_float32": row("engine float32", 40.0, 543_000_000, 18.1, 128),
        "engine_native": row("engine native", native_tps, 101_000_000, 3.4, 57),
    }
    if llama_tps:
        paths["llama_cpp"] = row("llama.cpp", llama_tps, 95_000_000, 3.2, 20)
    ratios = {"float32_vs_hf": round(40 / 28, 3), "native_vs_hf": round(native_tps / 28, 3),
              "float32_fraction_of_floor": paths["engine_float32"]["fraction_of_floor"]}
    if llama_tps:
        ratios["native_vs_llama_cpp"] = round(native_tps / llama_tps, 3)
    return {
        "prompt_tokens": 49, "max_new_tokens": 128, "rounds": 5, "threads": 2,
        "read_bandwidth": {"method": "median of 7 timed torch.sum passes", "gb_s": 30.0, "gb_s_after": 29.0, "runs_gb_s": [30.0],
                           "used_gb_s": 30.0},
        "paths": paths, "ratios": ratios, "targets": TARGETS, "float32_tokens_identical_to_hf": True,
        "llama_cpp_missing": None if llama_tps else "llama-cpp-python is not installed",
    }


def test_token_agreement_counts_the_identical_prefix():
    assert _leading_agreement([1, 2, 3, 4], [1, 2, 9, 4]) == 2
    assert _leading_agreement([1, 2], [1, 2, 3]) == 2


def test_percentile_picks_from_the_fast_end():
    assert _percentile([5.0, 1.0, 3.0, 2.0, 4.0, 9.0, 8.0, 7.0, 6.0, 10.0], 10) == 2.0
    assert _percentile([3.0], 10) == 3.0


def test_read_bandwidth_states_its_method_and_is_positive():
    bw = read_bandwidth(nbytes=8 * 2**20, reps=3)
    assert bw["gb_s"] > 0 and len(bw["runs_gb_s"]) == 3
    assert "torch.sum" in bw["method"] and "median of 3" in bw["method"]


def test_a_missing_llama_cpp_is_explained(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "llama_cpp" else real(name, *a))
    assert "requirements/bench.txt" in llama_cpp_unavailable()


def test_decode_markdown_reports_every_path_ratio_and_verdict():
    text = decode_markdown(sample_decode_result())
    for label in ("HF", "engine float32", "engine native", "llama.cpp"):
        assert f"| {label} | **" in text
    assert "| engine native / llama.cpp | 1.2 | ≥ 1.0 | met |" in text
    assert "| engine float32 / HF float32 | 1.429 | ≥ 1.5 | not met |" in text
    assert "Read bandwidth **30.0 GB/s**" in text
    assert "| engine float32, fraction of the read floor (the float32 target when 1.5x HF is out of reach) |" in text
    slower = decode_markdown(sample_decode_result(native_tps=80.0))
    assert "| engine native / HF float32 | 2.857 | ≥ 3.0 | not met |" in slower


def test_decode_markdown_says_when_llama_cpp_was_not_measured():
    text = decode_markdown(sample_decode_result(llama_tps=None))
    assert "llama.cpp: not measured: llama-cpp-python is not installed." in text
    assert "| engine native / llama.cpp | — | ≥ 1.0 | not measured |" in text


def test_markdown_has_the_machine_the_decode_section_and_the_kv_table():
    result = {
        "quick": False,
        "machine": {"date": "2026-01-01 00:00 UTC", "cpu": "Test CPU", "cores": 2, "threads_used": 2,
                    "torch": "2.13.0", "python": "3.11", "load_average_at_start": [1.0], "load_average_at_end": [2.0]},
        "decode": sample_decode_result(),
        "kv_cache_vs_none": [{"context_tokens": 64, "cached_ms": 30.0, "recompute_ms": 90.0, "speedup": 3.0}],
    }
    text = render_markdown(result)
    assert "| 64 | 30.0 | 90.0 | 3.0x |" in text
    assert "Test CPU" in text and "noisy" in text and "Load average [1.0]" in text
    assert "## Decode: every path side by side" in text


def test_sections_not_measured_are_carried_over_and_said_so(monkeypatch):
    from engine.bench import decode as bench

    monkeypatch.setattr("engine.bench.peers.run_decode_bench", lambda rounds, progress: sample_decode_result())
    previous = {"kv_cache_vs_none": [{"context_tokens": 64, "cached_ms": 30.0, "recompute_ms": 90.0, "speedup": 3.0}],
                "kv_measured": "2025-06-01 10:00 UTC", "serving": {"old": True}}
    result = bench.run_bench(sections=("decode",), previous=previous)
    assert result["decode"] == sample_decode_result()
    assert result["kv_cache_vs_none"] == previous["kv_cache_vs_none"] and result["serving"] == {"old": True}
    # The carried-over KV table keeps the date it was measured, not this run's.
    assert "## KV cache vs recomputing the prefix (time for one new token)\n\nMeasured 2025-06-01 10:00 UTC." in (
        bench.render_markdown({k: v for k, v in result.items() if k != "serving"}))
    assert result["sections_measured"] == ["decode"]
    with pytest.raises(ValueError, match="sections: unknown warp"):
        bench.run_bench(sections=("warp",))


def test_the_floor_target_is_marked_not_needed_once_the_float32_ratio_is_met():
    result = sample_decode_result()
    assert "72% | ≥ 90% | not met |" in decode_markdown(result)
    result["ratios"]["float32_vs_hf"] = 1.6
    assert "72% | ≥ 90% | not met (not needed: 1.5x HF is met) |" in decode_markdown(result)
