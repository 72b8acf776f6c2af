"""engine.kernels.flash_attention: the Triton kernel against the float64 reference.

Triton decides between compiling and interpreting when a kernel is *defined*, so each
mode runs in its own Python process (this file, run as a script) and reports errors as
JSON: the pytest process may already have imported the kernel in the other mode.

Tolerances as in core/test_attention.py: float32 1e-4 (the interpreter's numpy dots sum in a
different order), float16 5e-3, bfloat16 3e-2.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
TOLERANCE = {"float32": 1e-4, "float16": 5e-3, "bfloat16": 3e-2}

FLOAT32_CASES = [
    "mha-prefill", "gqa-prefill", "mqa-prefill", "bidirectional", "cross-lengths-bidirectional",
    "decode-one-token", "chunked-prefill", "window", "window-decode", "window-chunk",
    "left-padding", "left-padding-decode", "padding-and-window", "padding-bidirectional",
]
HALF_CASES = ["gqa-prefill", "decode-one-token", "padding-and-window"]
CHECKS = [(name, "float32") for name in FLOAT32_CASES] + [
    (name, dtype) for name in HALF_CASES for dtype in ("float16", "bfloat16")
]


def run_self(mode: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
    if mode == "interpret":
        env["TRITON_INTERPRET"] = "1"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), mode], env=env, cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def interpreted() -> dict:
    return run_self("interpret")


@pytest.mark.parametrize("name,dtype", CHECKS)
def test_kernel_matches_reference_under_the_interpreter(interpreted, name, dtype):
    assert interpreted["interpreter"] is True
    error = interpreted["errors"][f"{name}/{dtype}"]
    assert error < TOLERANCE[dtype], f"{name} {dtype}: max error {error:.2e}"


def test_rows_without_keys_are_zero_and_blocks_need_not_divide_the_lengths(interpreted):
    assert interpreted["empty_rows_are_zero"] is True
    assert interpreted["odd_lengths_error"] < TOLERANCE["float32"]
    assert interpreted["uneven_blocks_error"] < TOLERANCE["float32"]


def test_masked_edges_and_unmasked_middle_blocks_agree_with_the_reference(interpreted):
    for label, error in interpreted["three_stage_errors"].items():
        assert error < TOLERANCE["float32"], f"{label}: max error {error:.2e}"


def test_unsupported_dtype_is_named(interpreted):
    assert "supports float16, bfloat16 and float32, got torch.float64" in interpreted["float64_error"]


def test_cpu_tensors_without_the_interpreter_get_a_clear_error():
    compiled = run_self("compiled")
    assert compiled["interpreter"] is False
    assert "TRITON_INTERPRET=1" in compiled["cpu_error"]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_compiled_kernel_matches_reference_on_cuda():
    result = run_self("cuda")
    for key, error in result["errors"].items():
        assert error < TOLERANCE[key.split("/")[1]] * 4, f"{key}: max error {error:.2e}"  # longer sums than the CPU cases


# --------------------------------------------------------------------------- the child process


def _child(mode: str) -> dict:
    sys.path.insert(0, str(HERE.parent / "core"))
    from test_attention import case_inputs, random_inputs  # the same inputs as the CPU backends' tests

    from engine.core.attention import attention, attention_reference_fp64
    from engine.core.attention import Masking
    from engine.kernels.flash_attention import interpreter_enabled, triton_attention

    report: dict = {"interpreter": interpreter_enabled()}
    if mode == "compiled":
        q, k, v = random_inputs(1, 2, 2, 4, 4)
        try:
            attention(q, k, v, backend="triton")
            report["cpu_error"] = ""
        except RuntimeError as error:
            report["cpu_error"] = str(error)
        return report

    device = "cuda" if mode == "cuda" else "cpu"
    report["errors"] = {}
    for name, dtype in CHECKS:
        (q, k, v), options = case_inputs(name, dtype=getattr(torch, dtype), d=24 if name == "window" else 16)
        if options["key_padding_mask"] is not None:
            options["key_padding_mask"] = options["key_padding_mask"].to(device)
        q, k, v = q.to(device), k.to(device), v.to(device)
        out = attention(q, k, v, backend="triton", **options)
        reference = attention_reference_fp64(q, k, v, **options)
        report["errors"][f"{name}/{dtype}"] = (out.double() - reference).abs().max().item()
    if mode == "cuda":
        for dtype in ("float16", "bfloat16"):
            q, k, v = (x.to(device) for x in random_inputs(2, 8, 2, 1000, 1000, d=64, dtype=getattr(torch, dtype)))
            out = attention(q, k, v, backend="triton", window=300)
            reference = attention_reference_fp64(q, k, v, window=300)
            report["errors"][f"gpu-sized/{dtype}"] = (out.double() - reference).abs().max().item()
        return report

    q, k, v = random_inputs(2, 2, 1, 6, 4)
    padding = torch.tensor([[True] * 4, [False] * 4])
    out = attention(q, k, v, backend="triton", key_padding_mask=padding)
    # Batch 1 is all padding; in batch 0, queries 0 and 1 sit before the first key (T > S).
    report["empty_rows_are_zero"] = bool(
        not out.isnan().any() and (out[1] == 0).all() and (out[0, :, :2] == 0).all() and (out[0, :, 2:] != 0).any()
    )
    # Long enough that 16 x 16 blocks fall in all three stages of the key loop: the window's far
    # edge (masked), whole blocks (no mask built) and the diagonal (masked).
    q, k, v = random_inputs(2, 4, 2, 70, 100, d=16)
    padding = torch.ones(2, 100, dtype=torch.bool)
    padding[1, :23] = False  # left padding reaching into the unmasked middle blocks
    stage_errors = {}
    for label, options in {
        "causal": {}, "window": {"window": 70}, "padding": {"key_padding_mask": padding},
        "window-padding": {"window": 70, "key_padding_mask": padding},
    }.items():
        reference = attention_reference_fp64(q, k, v, **options)
        out = attention(q, k, v, backend="triton", **options)
        stage_errors[label] = (out.double() - reference).abs().max().item()
    report["three_stage_errors"] = stage_errors
    q, k, v = random_inputs(1, 3, 3, 37, 53, d=40)
    reference = attention_reference_fp64(q, k, v, window=11)
    out = attention(q, k, v, backend="triton", window=11)
    report["odd_lengths_error"] = (out.double() - reference).abs().max().item()
    # Query and key blocks of different sizes, as a GPU launch may use: the block skipping must still line up.
    out = triton_attention(q, k, v, Masking(window=11), block_m=32, block_n=16)
    report["uneven_blocks_error"] = (out.double() - reference).abs().max().item()
    try:
        attention(q.double(), k.double(), v.double(), backend="triton")
        report["float64_error"] = ""
    except ValueError as error:
        report["float64_error"] = str(error)
    return report


if __name__ == "__main__":
    print(json.dumps(_child(sys.argv[1])))
