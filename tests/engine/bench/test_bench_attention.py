"""engine.bench.attention (and the peak-memory experiment under it): the measurement really separates O(N²) from O(N)."""
from __future__ import annotations

import pytest

from engine.bench.attention import render_markdown, tiled_vs_naive_memory
from engine.experiments.attention_memory import measure_peak_memory, score_matrix_bytes


@pytest.fixture(scope="module")
def memory():
    return tiled_vs_naive_memory((1024,), heads=4, head_dim=32)


def test_naive_needs_at_least_its_score_matrix(memory):
    row = memory["rows"][0]
    assert row["score_matrix_bytes"] == score_matrix_bytes(1024, 4) == 16 * 2**20
    assert row["naive_extra_bytes"] >= row["score_matrix_bytes"]


def test_tiled_needs_a_small_fraction_of_naive(memory):
    row = memory["rows"][0]
    assert row["tiled_extra_bytes"] < 0.25 * row["score_matrix_bytes"]
    assert row["tiled_over_naive"] == row["tiled_extra_bytes"] / row["naive_extra_bytes"]
    assert memory["meets_target"] is (row["tiled_over_naive"] <= 0.10)


def test_parallel_runs_report_each_job():
    jobs = [
        {"backend": backend, "n": 256, "heads": 2, "head_dim": 16, "causal": False, "dtype": "float32"}
        for backend in ("sdpa", "tiled")
    ]
    runs = measure_peak_memory(jobs, parallel=True)
    assert [r["backend"] for r in runs] == ["sdpa", "tiled"]
    assert all(r["output_bytes"] == 2 * 256 * 16 * 4 and r["seconds"] > 0 for r in runs)


def test_markdown_renders_both_sections(memory):
    cuda_row = {
        "n": 1024, "dtype": "float16", "sdpa_ms": 0.5, "triton_ms": 0.6, "triton_over_sdpa_time": 1.2,
        "triton_tflops": 100.0, "sdpa_max_error": 1e-3, "triton_max_error": 2e-3,
    }
    result = {
        "environment": {"gpu_name": "Some GPU", "cpu_threads": 2, "torch": "2.13", "triton": "3.6"},
        "memory": memory,
        "triton_vs_sdpa": {"heads": 16, "head_dim": 64, "rows": [cuda_row]},
    }
    text = render_markdown(result)
    assert "| 1024 |" in text and "Some GPU" in text and "| 1024 | float16 | 0.500 | 0.600 | 1.20 |" in text
