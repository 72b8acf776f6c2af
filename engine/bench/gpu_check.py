"""``python -m engine gpu-check``: everything the engine claims about a CUDA GPU, checked in one go.

Stages, in order (correctness first, so a short budget still answers "is it right?"):

``flash_correctness``
    The compiled FlashAttention kernel against a float64 reference: causal, sliding window,
    MHA/GQA/MQA, left padding, decode (T = 1) and chunked prefill, in fp32 / fp16 / bf16; both
    the autotuned launch and fixed 64 x 64 blocks.
``paged_correctness``
    The paged decode kernel against dense float64 attention over the same scattered blocks.
``triton_vs_sdpa``
    Causal attention, N = 1k ... 16k, head_dim 64 and 128, fp16 and bf16: Triton vs torch SDPA
    time (CUDA events, warm-up and autotuning excluded), TFLOP/s, max error against float64.
``paged_vs_sdpa_decode``
    One decode step over a paged cache (the Triton kernel) vs SDPA over a contiguous cache holding
    the same context.
``smollm2_decode``
    SmolLM2-135M greedy decode on the GPU: the engine's exact float32 path (SDPA and Triton
    attention), its native GGUF path when this build has one, and HF transformers, same prompt,
    128 new tokens, tokens compared.
``pytest``
    The repository's CUDA-only tests (``-k cuda``), when the tests are present.

Each stage runs in its own process with a time limit, so a crash (an illegal memory access
poisons the whole CUDA context) or a hang costs that stage only; after every stage the results so
far are written to ``engine/BENCHMARKS_GPU.json`` and ``.md``. The whole check is sized for
``BUDGET_S`` (8 minutes): a stage skips the cases it has no time left for and says so.

Without CUDA it prints that and exits 0: there is nothing to check.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from engine.bench.report import header, table

ENGINE_DIR = Path(__file__).resolve().parents[1]
REPO_ROOT = ENGINE_DIR.parent
BUDGET_S = 480.0
# Max |error| against float64 attention. The CPU tests use 1e-4 / 5e-3 / 3e-2 on short sequences;
# GPU cases are longer sums, hence x4 (as tests/engine/kernels does on CUDA).
TOLERANCE = {"float32": 4e-4, "float16": 2e-2, "bfloat16": 1.2e-1}
FLASH_TARGET = {"n_at_least": 4096, "dtype": "float16", "head_dim": 64, "speed_vs_sdpa": 0.8, "max_error": 2e-3}
PAGED_TARGET = 0.7  # paged decode speed relative to a contiguous SDPA decode at the same context
NEW_TOKENS = 128
PROMPT = "Explain, step by step, how a transformer language model generates text one token at a time."


class Deadline:
    """The time a stage may still spend; cases check it before starting, not in the middle."""

    def __init__(self, seconds: float):
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        return self.end - time.monotonic()


# ----------------------------------------------------------------------------------- the stages


def _max_error(out, reference) -> float:
    return float((out.double() - reference).abs().max())


def flash_correctness(deadline: Deadline) -> dict[str, Any]:
    import torch

    from engine.core.attention import Masking, attention_reference_fp64
    from engine.kernels.flash_attention import triton_attention

    g = torch.Generator(device="cuda").manual_seed(0)

    def rand(*shape, dtype):
        return torch.randn(*shape, generator=g, device="cuda", dtype=torch.float32).to(dtype)

    def padding(batch, s, pads):
        mask = torch.ones(batch, s, dtype=torch.bool, device="cuda")
        for row, pad in enumerate(pads):
            mask[row, :pad] = False
        return mask

    # name: (batch, q heads, kv heads, T, S, head_dim, options)
    cases = {
        "causal-mha-prefill": (2, 8, 8, 1000, 1000, 64, {}),
        "causal-gqa-prefill": (2, 8, 2, 777, 777, 128, {}),
        "causal-mqa-prefill": (1, 8, 1, 513, 513, 64, {}),
        "bidirectional": (2, 4, 4, 300, 450, 64, {"causal": False}),
        "decode-one-token": (4, 8, 2, 1, 2049, 128, {}),
        "chunked-prefill": (2, 8, 2, 128, 1500, 64, {}),
        "window": (2, 8, 2, 1200, 1200, 64, {"window": 300}),
        "window-decode": (2, 8, 2, 1, 1500, 64, {"window": 256}),
        "left-padding": (3, 8, 2, 640, 640, 64, {"key_padding_mask": (3, 640, [0, 100, 333])}),
        "padding-and-window": (3, 8, 2, 700, 700, 96, {"window": 200, "key_padding_mask": (3, 700, [0, 50, 400])}),
        "head-dim-40": (1, 4, 4, 300, 300, 40, {}),
    }
    errors: dict[str, float] = {}
    skipped = []
    for name, (b, hq, hkv, t, s, d, options) in cases.items():
        for dtype_name in ("float32", "float16", "bfloat16"):
            if deadline.left() < 5:
                skipped.append(f"{name}/{dtype_name}")
                continue
            dtype = getattr(torch, dtype_name)
            opts = dict(options)
            if "key_padding_mask" in opts:
                opts["key_padding_mask"] = padding(*opts["key_padding_mask"])
            q, k, v = rand(b, hq, t, d, dtype=dtype), rand(b, hkv, s, d, dtype=dtype), rand(b, hkv, s, d, dtype=dtype)
            reference = attention_reference_fp64(q, k, v, **opts)
            errors[f"{name}/{dtype_name}/autotuned"] = _max_error(triton_attention(q, k, v, Masking(**opts)), reference)
            errors[f"{name}/{dtype_name}/blocks-64x64"] = _max_error(
                triton_attention(q, k, v, Masking(**opts), block_m=64, block_n=64), reference
            )
            del q, k, v, reference
    failures = {key: e for key, e in errors.items() if not e < TOLERANCE[key.split("/")[1]]}
    return {"errors": errors, "tolerance": TOLERANCE, "failures": failures, "skipped": skipped, "passed": not failures}


def paged_correctness(deadline: Deadline) -> dict[str, Any]:
    import torch

    from engine.kernels.paged_decode import paged_decode_attention_triton
    from engine.serving.paged_attention import paged_attention

    gen = torch.Generator().manual_seed(0)
    # name: (query heads, kv heads, head_dim, block size, context lengths)
    cases = {
        "mha-block16": (8, 8, 64, 16, [1, 17, 300, 1024]),
        "gqa-block16": (32, 8, 128, 16, [2048, 5, 777]),
        "gqa-block32-odd-dim": (12, 4, 80, 32, [65, 1000]),
        "mqa-block8": (8, 1, 64, 8, [9, 4000]),
    }
    errors, skipped = {}, []
    for name, (hq, hkv, d, block_size, lengths) in cases.items():
        for dtype_name in ("float32", "float16", "bfloat16"):
            if deadline.left() < 5:
                skipped.append(f"{name}/{dtype_name}")
                continue
            dtype = getattr(torch, dtype_name)
            blocks = sum(-(-n // block_size) for n in lengths) + 3
            keys = torch.randn(blocks * block_size, hkv, d, generator=gen)
            values = torch.randn(blocks * block_size, hkv, d, generator=gen)
            order = torch.randperm(blocks, generator=gen).tolist()  # scattered, as a real pool is
            tables = [[order.pop() for _ in range(-(-n // block_size))] for n in lengths]
            width = max(len(t) for t in tables)
            table_tensor = torch.tensor([t + [0] * (width - len(t)) for t in tables], dtype=torch.int32)
            q = torch.randn(len(lengths), hq, d, generator=gen)
            out = paged_decode_attention_triton(
                q.to("cuda", dtype), keys.to("cuda", dtype), values.to("cuda", dtype), table_tensor.cuda(),
                torch.tensor(lengths, device="cuda"), block_size,
            )
            # The reference reads the same (rounded) inputs in float64, through the torch gather path.
            expected = paged_attention(
                q.to(dtype)[:, :, None].double(), keys.to(dtype).double(), values.to(dtype).double(), tables, lengths, block_size
            )[:, :, 0]
            errors[f"{name}/{dtype_name}"] = _max_error(out.cpu(), expected)
    failures = {key: e for key, e in errors.items() if not e < TOLERANCE[key.split("/")[1]]}
    return {"errors": errors, "tolerance": TOLERANCE, "failures": failures, "skipped": skipped, "passed": not failures}


def triton_vs_sdpa(deadline: Deadline) -> dict[str, Any]:
    import torch

    from engine.core.attention import attention, attention_reference_fp64
    from engine.experiments.measure import median_time

    batch, heads = 2, 16
    rows, skipped = [], []
    for head_dim in (64, 128):
        for dtype_name in ("float16", "bfloat16"):
            for n in (1024, 2048, 4096, 8192, 16384):
                label = f"N={n}/D={head_dim}/{dtype_name}"
                if deadline.left() < 10:
                    skipped.append(label)
                    continue
                dtype = getattr(torch, dtype_name)
                g = torch.Generator(device="cuda").manual_seed(n + head_dim)
                q, k, v = (torch.randn(batch, heads, n, head_dim, generator=g, device="cuda").to(dtype) for _ in range(3))
                times = {
                    backend: median_time(lambda b=backend: attention(q, k, v, backend=b), reps=10, warmup=3, device="cuda")
                    for backend in ("sdpa", "triton")
                }
                # A float64 reference over all N² scores would not fit at 16k; the last 256 queries of
                # two heads see (almost) every key, so they carry the longest sums.
                tail = slice(n - 256, n)
                reference = attention_reference_fp64(q[:1, :2, tail], k[:1, :2], v[:1, :2])
                row = {"n": n, "head_dim": head_dim, "dtype": dtype_name, "batch": batch, "heads": heads}
                for backend in ("sdpa", "triton"):
                    out = attention(q[:1, :2, tail], k[:1, :2], v[:1, :2], backend=backend)
                    row[f"{backend}_max_error"] = _max_error(out, reference)
                    row[f"{backend}_ms"] = times[backend] * 1e3
                    # Causal attention does half of QKᵀ and PV: 2 matmuls x 2 FLOPs x N²·D / 2 per head.
                    row[f"{backend}_tflops"] = 2 * batch * heads * n * n * head_dim / times[backend] / 1e12
                row["triton_speed_vs_sdpa"] = times["sdpa"] / times["triton"]
                rows.append(row)
                del q, k, v
                torch.cuda.empty_cache()
    target_rows = [
        r for r in rows
        if r["n"] >= FLASH_TARGET["n_at_least"] and r["dtype"] == FLASH_TARGET["dtype"] and r["head_dim"] == FLASH_TARGET["head_dim"]
    ]
    met = bool(target_rows) and all(
        r["triton_speed_vs_sdpa"] >= FLASH_TARGET["speed_vs_sdpa"] and r["triton_max_error"] <= FLASH_TARGET["max_error"]
        for r in target_rows
    )
    return {"rows": rows, "skipped": skipped, "target": FLASH_TARGET, "target_met": met}


def paged_vs_sdpa_decode(deadline: Deadline) -> dict[str, Any]:
    import torch

    from engine.core.attention import attention
    from engine.experiments.measure import median_time
    from engine.kernels.paged_decode import paged_decode_attention_triton

    batch, hq, hkv, d, block_size = 16, 32, 8, 128, 16
    rows, skipped = [], []
    for context in (1024, 4096, 16384):
        for dtype_name in ("float16", "bfloat16"):
            label = f"context={context}/{dtype_name}"
            if deadline.left() < 10:
                skipped.append(label)
                continue
            dtype = getattr(torch, dtype_name)
            blocks_per_seq = context // block_size
            pool_k = torch.randn(batch * blocks_per_seq * block_size, hkv, d, device="cuda").to(dtype)
            pool_v = torch.randn_like(pool_k)
            # Each sequence's blocks scattered over the pool, as after many allocations and frees.
            perm = torch.randperm(batch * blocks_per_seq, device="cuda")
            tables = perm.view(batch, blocks_per_seq).to(torch.int32)
            lens = torch.full((batch,), context, dtype=torch.int32, device="cuda")
            q = torch.randn(batch, hq, d, device="cuda").to(dtype)
            # The same context, contiguous: [B, Hkv, S, D] as the static cache holds it.
            slots = (tables.long()[:, :, None] * block_size + torch.arange(block_size, device="cuda")).view(batch, -1)
            k_dense = pool_k[slots].transpose(1, 2).contiguous()
            v_dense = pool_v[slots].transpose(1, 2).contiguous()
            paged = median_time(
                lambda: paged_decode_attention_triton(q, pool_k, pool_v, tables, lens, block_size), reps=20, warmup=3, device="cuda"
            )
            dense = median_time(
                lambda: attention(q[:, :, None], k_dense, v_dense, causal=False, backend="sdpa"), reps=20, warmup=3, device="cuda"
            )
            out_paged = paged_decode_attention_triton(q, pool_k, pool_v, tables, lens, block_size).float()
            out_dense = attention(q[:, :, None], k_dense, v_dense, causal=False, backend="sdpa")[:, :, 0].float()
            kv_bytes = 2 * batch * context * hkv * d * k_dense.element_size()
            rows.append({
                "context": context, "dtype": dtype_name, "batch": batch, "q_heads": hq, "kv_heads": hkv, "head_dim": d,
                "block_size": block_size, "paged_ms": paged * 1e3, "sdpa_ms": dense * 1e3,
                "paged_speed_vs_sdpa": dense / paged, "paged_gb_s": kv_bytes / paged / 1e9, "sdpa_gb_s": kv_bytes / dense / 1e9,
                "max_difference": float((out_paged - out_dense).abs().max()),
            })
            del pool_k, pool_v, k_dense, v_dense
            torch.cuda.empty_cache()
    met = bool(rows) and all(r["paged_speed_vs_sdpa"] >= PAGED_TARGET for r in rows)
    return {"rows": rows, "skipped": skipped, "target_speed_vs_sdpa": PAGED_TARGET, "target_met": met}


def smollm2_decode(deadline: Deadline) -> dict[str, Any]:
    import torch

    from engine.core.generate import generate
    from engine.core.sampling import SamplingParams
    from engine.io.loader import load_model

    greedy = SamplingParams(temperature=0.0)
    runs: dict[str, Any] = {}
    reference_tokens = None
    prompt = None

    def timed(name: str, make: Callable[[], Any]) -> None:
        nonlocal reference_tokens, prompt
        if deadline.left() < 20:
            runs[name] = {"skipped": "no time left in the budget"}
            return
        try:
            model, tokenizer = make()
        except Exception as exc:  # noqa: BLE001 (one missing path must not hide the others)
            runs[name] = {"unavailable": f"{type(exc).__name__}: {exc}"}
            return
        prompt = prompt or tokenizer.encode_chat([{"role": "user", "content": PROMPT}])
        generate(model, prompt, 8, greedy)  # warm-up: cuBLAS handles, Triton compilation and autotuning
        best = None
        for _ in range(3):
            result = generate(model, prompt, NEW_TOKENS, greedy)
            best = result if best is None or result.tokens_per_s > best.tokens_per_s else best
        reference_tokens = reference_tokens or best.tokens
        runs[name] = {
            "decode_tokens_per_s": best.tokens_per_s, "ttft_ms": best.ttft_s * 1e3, "new_tokens": len(best.tokens),
            "tokens_identical_to_exact": best.tokens == reference_tokens,
            "agreeing_prefix_tokens": _agreeing_prefix(best.tokens, reference_tokens),
        }
        del model
        torch.cuda.empty_cache()

    timed("engine exact float32, sdpa", lambda: load_model("smollm2-135m", device="cuda"))
    timed("engine exact float32, triton attention", lambda: _with_backend(load_model("smollm2-135m", device="cuda"), "triton"))
    timed("engine native GGUF blocks", lambda: load_model("smollm2-135m", device="cuda", weights="gguf"))
    if deadline.left() > 30 and prompt is not None:
        runs["HF transformers float32"] = _hf_decode(prompt, reference_tokens)
    return {"prompt_tokens": len(prompt or []), "max_new_tokens": NEW_TOKENS, "runs": runs}


def _with_backend(loaded, backend: str):
    model, tokenizer = loaded
    return model.set_attention_backend(backend), tokenizer


def _agreeing_prefix(a: Sequence[int], b: Sequence[int] | None) -> int:
    n = 0
    for x, y in zip(a, b or ()):
        if x != y:
            break
        n += 1
    return n


def _hf_decode(prompt: list[int], reference_tokens: list[int] | None) -> dict[str, Any]:
    import torch
    import transformers

    from engine.io.gguf import smollm2_gguf_path

    transformers.logging.set_verbosity_error()
    path = smollm2_gguf_path()
    hf = transformers.AutoModelForCausalLM.from_pretrained(str(path.parent), gguf_file=path.name, dtype=torch.float32)
    hf = hf.to("cuda").eval()
    ids = torch.tensor([prompt], device="cuda")

    def run() -> tuple[list[int], float]:
        torch.cuda.synchronize()
        start = time.perf_counter()
        with torch.inference_mode():
            out = hf.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=NEW_TOKENS, min_new_tokens=NEW_TOKENS,
                              do_sample=False, pad_token_id=0)
        torch.cuda.synchronize()
        return out[0, len(prompt):].tolist(), time.perf_counter() - start

    run()
    tokens, seconds = min((run() for _ in range(3)), key=lambda r: r[1])
    return {
        # End to end (prefill included), as HF's generate gives no per-token clock without a streamer.
        "end_to_end_tokens_per_s": len(tokens) / seconds,
        "new_tokens": len(tokens),
        "agreeing_prefix_tokens": _agreeing_prefix(tokens, reference_tokens),
    }


def pytest_cuda(deadline: Deadline) -> dict[str, Any]:
    tests = [REPO_ROOT / "tests/engine/kernels", REPO_ROOT / "tests/engine/serving/test_paged_attention.py"]
    if not all(path.exists() for path in tests):
        return {"skipped": "the repository's tests are not next to this engine"}
    command = [sys.executable, "-m", "pytest", *map(str, tests), "-q", "-p", "no:randomly", "-k", "cuda"]
    done = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=max(10, deadline.left()))
    return {"command": " ".join(command[1:]), "returncode": done.returncode, "passed": done.returncode == 0,
            "output_tail": done.stdout[-2000:] + done.stderr[-1000:]}


STAGES: dict[str, tuple[str, Callable[[Deadline], dict[str, Any]], float]] = {
    # name: (title, function, most seconds it may take)
    "flash_correctness": ("FlashAttention kernel vs float64", flash_correctness, 90),
    "paged_correctness": ("Paged decode kernel vs float64", paged_correctness, 45),
    "triton_vs_sdpa": ("Triton vs SDPA, causal attention", triton_vs_sdpa, 150),
    "paged_vs_sdpa_decode": ("Paged decode vs contiguous SDPA decode", paged_vs_sdpa_decode, 60),
    "smollm2_decode": ("SmolLM2-135M decode on the GPU", smollm2_decode, 120),
    "pytest": ("The repository's CUDA tests", pytest_cuda, 90),
}


# ------------------------------------------------------------------------------- orchestration


def run_stage_in_child(name: str, seconds: float) -> dict[str, Any]:
    """Run one stage in a fresh process with a hard time limit; never raises."""
    start = time.monotonic()
    command = [sys.executable, "-m", "engine.bench.gpu_check", "--child", name, "--seconds", f"{seconds:.0f}"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))}
    try:
        # A little slack over the stage's own deadline for process start-up and CUDA initialisation.
        done = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=seconds + 30)
    except subprocess.TimeoutExpired:
        return {"status": "timed out", "seconds": time.monotonic() - start, "error": f"still running after {seconds + 30:.0f} s"}
    lines = done.stdout.strip().splitlines()
    try:
        result = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        return {"status": "crashed", "seconds": time.monotonic() - start,
                "error": f"exit code {done.returncode}: {done.stderr.strip()[-3000:]}"}
    result["seconds"] = time.monotonic() - start
    return result


def child_main(name: str, seconds: float) -> dict[str, Any]:
    """Inside the child: run the stage, and turn any exception into a reported failure."""
    _, fn, _ = STAGES[name]
    try:
        return {"status": "ok", "result": fn(Deadline(seconds))}
    except Exception as exc:  # noqa: BLE001 (the report must say what broke and carry on)
        return {"status": "failed", "error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()[-3000:]}


def describe_device() -> dict[str, Any]:
    import torch

    from engine.environment import describe_environment

    props = torch.cuda.get_device_properties(0)
    return {
        **describe_environment(),
        "gpu_name": props.name,
        "gpu_memory_gib": round(props.total_memory / 2**30, 1),
        "compute_capability": f"{props.major}.{props.minor}",
        "cuda": torch.version.cuda,
    }


def run_gpu_check(
    stages: Sequence[str] | None = None,
    budget_s: float = BUDGET_S,
    out_dir: Path = ENGINE_DIR,
    run_stage: Callable[[str, float], dict[str, Any]] = run_stage_in_child,
    device: dict[str, Any] | None = None,
    progress: Callable[[str], None] = lambda msg: None,
) -> dict[str, Any]:
    """Run the stages within ``budget_s`` seconds in all, writing the report after each one."""
    names = list(stages or STAGES)
    unknown = [n for n in names if n not in STAGES]
    if unknown:
        raise ValueError(f"stages: unknown stage {unknown[0]!r}; choose from {', '.join(STAGES)}")
    deadline = Deadline(budget_s)
    report: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "device": device or describe_device(),
        "budget_s": budget_s,
        "stages": {},
    }
    for name in names:
        title, _, cap = STAGES[name]
        seconds = min(cap, deadline.left())
        if seconds < 10:
            report["stages"][name] = {"status": "skipped", "error": "the time budget ran out before this stage"}
        else:
            progress(f"{title} (up to {seconds:.0f} s)")
            report["stages"][name] = run_stage(name, seconds)
            progress(f"  {report['stages'][name]['status']} in {report['stages'][name].get('seconds', 0):.0f} s")
        report["total_s"] = budget_s - deadline.left()
        write_report(report, out_dir)
    return report


def write_report(report: dict[str, Any], out_dir: Path) -> list[Path]:
    json_path, md_path = out_dir / "BENCHMARKS_GPU.json", out_dir / "BENCHMARKS_GPU.md"
    json_path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    md_path.write_text(render_markdown(report), encoding="utf-8")
    return [json_path, md_path]


def render_markdown(report: dict[str, Any]) -> str:
    device = report["device"]
    lines = header(
        "GPU check",
        (f"Measured {report['date']} on **{device.get('gpu_name')}** ({device.get('gpu_memory_gib')} GiB, compute capability "
         f"{device.get('compute_capability')}, CUDA {device.get('cuda')}), torch {device.get('torch')}, triton "
         f"{device.get('triton')}, by `python -m engine gpu-check` in {report.get('total_s', 0):.0f} s "
         f"(budget {report['budget_s']:.0f} s). Every stage ran in its own process; see BENCHMARKS_GPU.json for every number."),
    )
    lines += table(
        ("stage", "status", "seconds"), "<<>",
        ((STAGES[name][0], _status(stage), f"{stage.get('seconds', 0):.0f}") for name, stage in report["stages"].items()),
    )
    for name, stage in report["stages"].items():
        lines += ["", f"## {STAGES[name][0]}", ""]
        if stage.get("status") != "ok":
            lines.append(f"Not completed ({stage.get('status')}): {stage.get('error', '')}")
            continue
        lines += RENDERERS.get(name, _render_generic)(stage["result"])
    return "\n".join(lines) + "\n"


def _status(stage: dict[str, Any]) -> str:
    if stage.get("status") != "ok":
        return stage.get("status", "?")
    result = stage["result"]
    for key in ("passed", "target_met"):
        if key in result:
            return f"ok, {key.replace('_', ' ')}: {'yes' if result[key] else 'NO'}"
    return "ok"


def _render_errors(result: dict[str, Any]) -> list[str]:
    tolerances = {key: result["tolerance"][key.split("/")[1]] for key in result["errors"]}
    lines = table(
        ("case", "max error vs float64", "tolerance", ""), "<>><",
        ((key, f"{error:.2e}", f"{tolerances[key]:.0e}", "ok" if error < tolerances[key] else "FAIL")
         for key, error in result["errors"].items()),
    )
    if result.get("skipped"):
        lines += ["", f"Skipped for time: {', '.join(result['skipped'])}."]
    return lines


def _render_flash_speed(result: dict[str, Any]) -> list[str]:
    t = result["target"]
    lines = [
        (f"Target: Triton at least {t['speed_vs_sdpa']}x SDPA's speed at N >= {t['n_at_least']}, {t['dtype']}, head_dim "
         f"{t['head_dim']}, max error <= {t['max_error']:g}: **{'met' if result['target_met'] else 'not met'}**."),
        "",
        *table(
            ("N", "head_dim", "dtype", "SDPA ms", "Triton ms", "Triton speed / SDPA", "Triton TFLOP/s", "SDPA TFLOP/s",
             "SDPA max err", "Triton max err"), ">><>>>>>>>",
            ((r["n"], r["head_dim"], r["dtype"], f"{r['sdpa_ms']:.3f}", f"{r['triton_ms']:.3f}",
              f"{r['triton_speed_vs_sdpa']:.2f}", f"{r['triton_tflops']:.0f}", f"{r['sdpa_tflops']:.0f}",
              f"{r['sdpa_max_error']:.1e}", f"{r['triton_max_error']:.1e}") for r in result["rows"]),
        ),
    ]
    if result.get("skipped"):
        lines += ["", f"Skipped for time: {', '.join(result['skipped'])}."]
    return lines


def _render_paged_speed(result: dict[str, Any]) -> list[str]:
    lines = [
        (f"Target: the paged kernel at least {result['target_speed_vs_sdpa']}x the speed of SDPA on a contiguous cache: "
         f"**{'met' if result['target_met'] else 'not met'}**."),
        "",
        *table(
            ("context", "dtype", "batch x heads (kv) x D", "paged ms", "SDPA ms", "paged speed / SDPA", "paged GB/s",
             "SDPA GB/s", "max diff"), "><<>>>>>>",
            ((r["context"], r["dtype"], f"{r['batch']} x {r['q_heads']} ({r['kv_heads']}) x {r['head_dim']}",
              f"{r['paged_ms']:.3f}", f"{r['sdpa_ms']:.3f}", f"{r['paged_speed_vs_sdpa']:.2f}", f"{r['paged_gb_s']:.0f}",
              f"{r['sdpa_gb_s']:.0f}", f"{r['max_difference']:.1e}") for r in result["rows"]),
        ),
    ]
    return lines


def _render_decode(result: dict[str, Any]) -> list[str]:
    lines = [
        f"Greedy, batch 1, {result['prompt_tokens']}-token prompt, {result['max_new_tokens']} new tokens, best of 3 runs.",
        "",
        "| path | decode tokens/s | TTFT ms | tokens agreeing with the exact path |",
        "|---|---:|---:|---|",
    ]
    for name, run in result["runs"].items():
        if "unavailable" in run or "skipped" in run:
            lines.append(f"| {name} | {run.get('unavailable') or run.get('skipped')} | | |")
        elif "end_to_end_tokens_per_s" in run:
            lines.append(f"| {name} | {run['end_to_end_tokens_per_s']:.1f} (end to end) | | "
                         f"{run['agreeing_prefix_tokens']} of {run['new_tokens']} |")
        else:
            lines.append(f"| {name} | {run['decode_tokens_per_s']:.1f} | {run['ttft_ms']:.1f} | "
                         f"{run['agreeing_prefix_tokens']} of {run['new_tokens']} |")
    return lines


def _render_generic(result: dict[str, Any]) -> list[str]:
    return ["```", json.dumps(result, indent=2)[:4000], "```"]


RENDERERS: dict[str, Callable[[dict[str, Any]], list[str]]] = {
    "flash_correctness": _render_errors,
    "paged_correctness": _render_errors,
    "triton_vs_sdpa": _render_flash_speed,
    "paged_vs_sdpa_decode": _render_paged_speed,
    "smollm2_decode": _render_decode,
}


def cuda_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return torch.cuda.is_available()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m engine gpu-check", description=__doc__.splitlines()[0])
    parser.add_argument("--stages", nargs="*", choices=tuple(STAGES), help="stages to run (default: all, in order)")
    parser.add_argument("--budget-s", type=float, default=BUDGET_S, help="seconds for the whole check")
    parser.add_argument("--out", type=Path, default=ENGINE_DIR, help="folder for BENCHMARKS_GPU.json and .md")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--seconds", type=float, default=60.0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child_main(args.child, args.seconds)))
        return 0
    if not cuda_available():
        print("No CUDA device here (torch.cuda.is_available() is False): the GPU check needs one, so nothing was run.")
        return 0
    report = run_gpu_check(args.stages, args.budget_s, args.out, progress=lambda msg: print(msg, file=sys.stderr))
    print(f"wrote {args.out / 'BENCHMARKS_GPU.md'} and .json", file=sys.stderr)
    return 0 if all(stage.get("status") == "ok" for stage in report["stages"].values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
