"""engine.bench.gpu_check off the GPU: it says there is nothing to check, and its report survives failing stages.

The stages themselves need CUDA; here they are replaced by fakes returning what the real ones return.
"""
from __future__ import annotations

import json

import pytest

from engine.bench import gpu_check
from engine.cli import main as cli_main

DEVICE = {"gpu_name": "Test GPU 80GB", "gpu_memory_gib": 80.0, "compute_capability": "9.0", "cuda": "12.8",
          "torch": "2.11.0", "triton": "3.6.0"}

RESULTS = {
    "flash_correctness": {"errors": {"causal-mha-prefill/float16/autotuned": 1.2e-3, "window/float32/blocks-64x64": 9e-4},
                          "tolerance": gpu_check.TOLERANCE, "failures": {"window/float32/blocks-64x64": 9e-4},
                          "skipped": ["head-dim-40/bfloat16"], "passed": False},
    "paged_correctness": {"errors": {"gqa-block16/float16": 1e-3}, "tolerance": gpu_check.TOLERANCE, "failures": {},
                          "skipped": [], "passed": True},
    "triton_vs_sdpa": {"rows": [{"n": 4096, "head_dim": 64, "dtype": "float16", "batch": 2, "heads": 16, "sdpa_ms": 1.0,
                                 "triton_ms": 1.1, "sdpa_tflops": 300.0, "triton_tflops": 270.0, "sdpa_max_error": 5e-4,
                                 "triton_max_error": 6e-4, "triton_speed_vs_sdpa": 0.91}],
                       "skipped": [], "target": gpu_check.FLASH_TARGET, "target_met": True},
    "paged_vs_sdpa_decode": {"rows": [{"context": 4096, "dtype": "float16", "batch": 16, "q_heads": 32, "kv_heads": 8,
                                       "head_dim": 128, "block_size": 16, "paged_ms": 0.2, "sdpa_ms": 0.15,
                                       "paged_speed_vs_sdpa": 0.75, "paged_gb_s": 2000.0, "sdpa_gb_s": 2600.0,
                                       "max_difference": 1e-3}],
                             "skipped": [], "target_speed_vs_sdpa": 0.7, "target_met": True},
    "smollm2_decode": {"prompt_tokens": 40, "max_new_tokens": 128, "runs": {
        "engine exact float32, sdpa": {"decode_tokens_per_s": 180.0, "ttft_ms": 9.0, "new_tokens": 128,
                                       "tokens_identical_to_exact": True, "agreeing_prefix_tokens": 128},
        "engine native GGUF blocks": {"unavailable": "TypeError: unexpected keyword argument 'weights'"},
        "HF transformers float32": {"end_to_end_tokens_per_s": 60.0, "new_tokens": 128, "agreeing_prefix_tokens": 128},
    }},
}


def test_without_cuda_it_says_so_and_exits_0(monkeypatch, capsys):
    monkeypatch.setattr(gpu_check, "cuda_available", lambda: False)
    assert cli_main(["gpu-check"]) == 0
    assert "No CUDA device here" in capsys.readouterr().out


def test_a_failing_stage_does_not_stop_the_others_and_the_report_is_written_after_each(tmp_path):
    seen_on_disk = []

    def fake_stage(name, seconds):
        # The report of every earlier stage is already on disk when the next one starts.
        if (tmp_path / "BENCHMARKS_GPU.json").exists():
            seen_on_disk.append(sorted(json.loads((tmp_path / "BENCHMARKS_GPU.json").read_text())["stages"]))
        if name == "paged_correctness":
            return {"status": "crashed", "seconds": 1.0, "error": "exit code -11: illegal memory access"}
        if name == "pytest":
            return {"status": "timed out", "seconds": 90.0, "error": "still running after 120 s"}
        return {"status": "ok", "seconds": 2.0, "result": RESULTS[name]}

    report = gpu_check.run_gpu_check(out_dir=tmp_path, run_stage=fake_stage, device=DEVICE)
    assert list(report["stages"]) == list(gpu_check.STAGES)
    assert seen_on_disk[0] == ["flash_correctness"] and len(seen_on_disk) == len(gpu_check.STAGES) - 1
    text = (tmp_path / "BENCHMARKS_GPU.md").read_text()
    assert "**Test GPU 80GB**" in text
    assert "Not completed (crashed): exit code -11: illegal memory access" in text
    assert "| window/float32/blocks-64x64 | 9.00e-04 | 4e-04 | FAIL |" in text
    assert "| 4096 | 64 | float16 | 1.000 | 1.100 | 0.91 |" in text
    assert "| engine native GGUF blocks | TypeError: unexpected keyword argument 'weights' | | |" in text
    assert "ok, passed: NO" in text and "ok, target met: yes" in text


def test_stages_are_skipped_once_the_budget_is_spent(tmp_path):
    calls = []
    report = gpu_check.run_gpu_check(
        ["flash_correctness", "pytest"], budget_s=5, out_dir=tmp_path, device=DEVICE,
        run_stage=lambda name, seconds: calls.append(name) or {"status": "ok", "result": {}},
    )
    assert calls == []
    assert report["stages"]["pytest"]["status"] == "skipped"


def test_a_stage_that_raises_is_reported_as_failed(monkeypatch):
    def broken(deadline):
        raise RuntimeError("CUDA error: out of memory")

    monkeypatch.setitem(gpu_check.STAGES, "flash_correctness", ("broken", broken, 10))
    result = gpu_check.child_main("flash_correctness", 10)
    assert result["status"] == "failed" and result["error"] == "RuntimeError: CUDA error: out of memory"
    assert "Traceback" in result["traceback"]


def test_unknown_stage_names_are_refused(tmp_path):
    with pytest.raises(ValueError, match="stages: unknown stage 'warp_speed'"):
        gpu_check.run_gpu_check(["warp_speed"], out_dir=tmp_path, device=DEVICE, run_stage=lambda n, s: {})
