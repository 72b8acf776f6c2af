"""The attention_backends demo: every backend is accurate, and the measured memory separates naive from tiled."""
from __future__ import annotations

import pytest

from engine.demos import DemoParamError, run_demo


def test_every_backend_at_every_length_with_float32_accuracy():
    result = run_demo("attention_backends", {"max_n": 256, "heads": 2, "head_dim": 16, "measure_rss": False})
    rows = result["table"]["rows"]
    assert [(r[0], r[1]) for r in rows] == [(n, b) for n in (128, 256) for b in ("naive", "sdpa", "tiled")]
    assert all(r[3] < 1e-5 and r[2] > 0 for r in rows)
    assert [s["name"] for s in result["charts"][0]["series"]] == ["naive", "sdpa", "tiled"]
    assert "not measured" in result["notes"][-1]


def test_a_length_between_powers_of_two_is_included():
    result = run_demo("attention_backends", {"max_n": 200, "heads": 1, "head_dim": 16, "measure_rss": False, "dtype": "bfloat16"})
    assert sorted({r[0] for r in result["table"]["rows"]}) == [128, 200]
    assert all(r[3] < 3e-2 for r in result["table"]["rows"])


def test_peak_rss_of_naive_holds_the_score_matrix_and_tiled_does_not():
    # Big enough that allocator noise (a few MiB under load) cannot blur the difference.
    result = run_demo("attention_backends", {"max_n": 1024, "heads": 16, "head_dim": 16, "causal": False})
    rss = {m["name"].split()[0]: m["value"] for m in result["metrics"] if "peak RSS" in m["name"]}
    assert rss["naive"] >= 56  # MiB: one fp32 [16, 1024, 1024] score matrix is 64 MiB
    assert rss["tiled"] < rss["naive"] / 4


def test_out_of_range_length_names_the_bounds():
    with pytest.raises(DemoParamError, match="max_n: must be between 128 and 4096, got 8192"):
        run_demo("attention_backends", {"max_n": 8192})
