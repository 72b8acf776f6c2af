"""Decode speed of every path side by side, and how close each is to the memory-bandwidth floor.

One run, one prompt (SmolLM2's chat template around ``PROMPT``), greedy, ``NEW_TOKENS`` new tokens,
batch 1, ``THREADS`` threads for everyone:

=================  ==========================================================================
path               what runs
=================  ==========================================================================
hf_float32         HF transformers ``generate`` on the same GGUF, dequantised to float32
engine_float32     ``load_model(weights="dequantized")``: HF's logits to float32 rounding
engine_native      ``load_model(weights="gguf")``: the file's Q4_1 / Q8_0 blocks, float32 activations
llama_cpp          llama.cpp through llama-cpp-python on the same file (benchmark-only dependency)
=================  ==========================================================================

Timing: every path records the time of each decode step (TTFT excluded). Rounds interleave the
paths so that load from other processes hits all of them; the headline per path is the
10th-percentile step over all rounds (a typical undisturbed step; noise only slows steps down).

The floor: a decode step must read every weight once (plus the KV cache so far). Its time can
be no less than ``bytes read per token / read bandwidth``. Read bandwidth is measured in the
same run as the median time of ``torch.sum`` over a 1 GiB float32 buffer (32x this machine's
largest cache, so DRAM and not cache), with the same thread count, after two warm-ups.
"""
from __future__ import annotations

import importlib.util
import itertools
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from engine.bench.report import table

THREADS = 2
NEW_TOKENS = 128
PROMPT = "Explain, step by step, how a transformer language model generates text one token at a time."
READ_BUFFER_BYTES = 2**30
TARGETS = {
    "native_vs_llama_cpp": 1.0,
    "native_vs_hf": 3.0,
    "float32_vs_hf": 1.5,
    "float32_fraction_of_floor": 0.9,  # the alternative target when 1.5x HF is out of reach
}
LLAMA_CPP_REQUIREMENT = "llama-cpp-python==0.3.36"


def read_bandwidth(nbytes: int = READ_BUFFER_BYTES, reps: int = 7) -> dict[str, Any]:
    """Bytes per second a reduction streams from DRAM: ``torch.sum`` over ``nbytes`` of float32, median of ``reps``."""
    buffer = torch.ones(nbytes // 4, dtype=torch.float32)
    times = []
    for i in range(reps + 2):
        start = time.perf_counter()
        buffer.sum()
        if i >= 2:  # the first passes fault the pages in and wake the thread pool
            times.append(time.perf_counter() - start)
    seconds = statistics.median(times)
    return {
        "method": (f"median of {reps} timed torch.sum passes over a {nbytes / 2**30:.0f} GiB float32 buffer "
                   f"({torch.get_num_threads()} threads, 2 warm-up passes)"),
        "gb_s": round(nbytes / seconds / 1e9, 2),
        "runs_gb_s": [round(nbytes / t / 1e9, 2) for t in times],
    }


@dataclass
class Run:
    tokens: list[int]
    ttft_s: float
    step_s: list[float]  # one per decode step after the first token


@dataclass
class DecodePath:
    name: str
    label: str
    run: Callable[[], Run]
    bytes_per_token: Callable[[int], int]  # context length -> bytes a decode step reads
    bytes_note: str
    runs: list[Run] = field(default_factory=list)


def _hf_path(prompt: list[int], eos: int) -> DecodePath:
    import transformers

    from engine.io.gguf import smollm2_gguf_path

    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    path = smollm2_gguf_path()
    hf = transformers.AutoModelForCausalLM.from_pretrained(str(path.parent), gguf_file=path.name, dtype=torch.float32).eval()
    ids = torch.tensor([prompt])

    class Clock:  # an HF streamer that timestamps every token it is handed (the prompt first)
        def __init__(self) -> None:
            self.times: list[float] = []

        def put(self, value) -> None:
            self.times.append(time.perf_counter())

        def end(self) -> None:
            pass

    def run() -> Run:
        clock = Clock()
        start = time.perf_counter()
        with torch.inference_mode():
            out = hf.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=NEW_TOKENS, do_sample=False,
                              streamer=clock, pad_token_id=eos)
        times = clock.times[1:]
        return Run(out[0, len(prompt):].tolist(), times[0] - start, [b - a for a, b in itertools.pairwise(times)])

    weights = sum(p.numel() * p.element_size() for p in {p.data_ptr(): p for p in hf.parameters()}.values())
    return DecodePath("hf_float32", "HF transformers `generate`, float32", run,
                 lambda ctx: weights + _kv_bytes(ctx, "float32"), "float32 weights + float32 KV cache")


def _engine_path(name: str, label: str, weights: str, prompt: list[int], eos: int) -> DecodePath:
    from engine.core.generate import generate
    from engine.io.loader import load_model
    from engine.experiments.measure import weight_bytes_read_per_token
    from engine.core.sampling import SamplingParams

    model, _ = load_model("smollm2-135m", weights=weights)
    greedy = SamplingParams(temperature=0.0)

    def run() -> Run:
        result = generate(model, prompt, NEW_TOKENS, greedy, stop_token_ids=[eos])
        return Run(result.tokens, result.ttft_s, result.step_times_s)

    weight_bytes = weight_bytes_read_per_token(model)
    note = "float32 weights" if weights == "dequantized" else "Q4_1 / Q8_0 blocks as in the file, float32 norms"
    return DecodePath(name, label, run, lambda ctx: weight_bytes + _kv_bytes(ctx, "float32"), note + " + float32 KV cache")


def llama_cpp_unavailable() -> str | None:
    if importlib.util.find_spec("llama_cpp") is None:
        return (f"llama-cpp-python is not installed (`pip install -r requirements/bench.txt` builds {LLAMA_CPP_REQUIREMENT} "
                "from source, which takes several minutes)")
    return None


def _llama_cpp_path(prompt: list[int], eos: int) -> DecodePath:
    import llama_cpp

    from engine.io.gguf import open_gguf, smollm2_gguf_path

    path = smollm2_gguf_path()
    llm = llama_cpp.Llama(str(path), n_ctx=len(prompt) + NEW_TOKENS + 8, n_batch=512, n_threads=THREADS,
                          n_threads_batch=THREADS, verbose=False)

    def run() -> Run:
        llm.reset()
        tokens, times = [], []
        start = time.perf_counter()
        # top_k=1 with temperature 0: llama.cpp's greedy sampler (argmax of its logits).
        for token in llm.generate(prompt, temp=0.0, top_k=1, reset=True):
            times.append(time.perf_counter())
            tokens.append(int(token))
            if token == eos or len(tokens) == NEW_TOKENS:
                break
        return Run(tokens, times[0] - start, [b - a for a, b in itertools.pairwise(times)])

    # llama.cpp reads the file's tensors as stored (the tied embedding once, as the output matrix)
    # and keeps K and V in float16 by default.
    file_bytes = sum(int(t.n_bytes) for t in open_gguf(path).tensors)
    return DecodePath("llama_cpp", f"llama.cpp {llama_cpp.__version__} (llama-cpp-python), same GGUF", run,
                 lambda ctx: file_bytes + _kv_bytes(ctx, "float16"), "the file's tensors + float16 KV cache")


def _kv_bytes(context: int, dtype: str) -> int:
    from engine.core.config import PRESETS
    from engine.formulas import kv_cache_bytes

    return kv_cache_bytes(PRESETS["smollm2-135m"], context, 1, dtype)


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))]


def _leading_agreement(a: list[int], b: list[int]) -> int:
    return next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))


def run_decode_bench(rounds: int = 5, progress: Callable[[str], None] = lambda msg: None) -> dict[str, Any]:
    """Every path, interleaved for ``rounds`` rounds; tok/s, floor fractions, ratios and token agreement."""
    from engine.io.loader import load_model

    torch.set_num_threads(THREADS)
    _, tokenizer = load_model("smollm2-135m")
    prompt = tokenizer.encode_chat([{"role": "user", "content": PROMPT}])
    eos = tokenizer.eos_token_id
    paths = [
        _hf_path(prompt, eos),
        _engine_path("engine_float32", "engine, float32 (exact)", "dequantized", prompt, eos),
        _engine_path("engine_native", 'engine, native GGUF blocks (`weights="gguf"`)', "gguf", prompt, eos),
    ]
    missing = llama_cpp_unavailable()
    if missing is None:
        try:
            paths.append(_llama_cpp_path(prompt, eos))
        except Exception as exc:  # noqa: BLE001 (a broken build must not cost the other numbers)
            missing = f"llama-cpp-python failed to load the model: {exc}"
    for p in paths:  # warm-up: thread pools, first-call allocations, the kernel library
        p.run()
    progress("read bandwidth")
    bandwidth = read_bandwidth()
    for r in range(rounds):
        # Rotate the order so that no path always runs right after the same neighbour.
        for p in paths[r % len(paths):] + paths[: r % len(paths)]:
            p.runs.append(p.run())
        progress(f"  round {r + 1}/{rounds}: " + ", ".join(f"{p.name} {len(p.runs[-1].step_s) / sum(p.runs[-1].step_s):.1f} tok/s" for p in paths))
    bandwidth_after = read_bandwidth()
    read_bw = max(bandwidth["gb_s"], bandwidth_after["gb_s"]) * 1e9  # the faster of the two: the floor is a lower bound
    reference = paths[1].runs[0].tokens  # engine float32
    rows = {}
    for p in paths:
        steps = [s for run in p.runs for s in run.step_s]
        step = _percentile(steps, 10)
        context = len(prompt) + len(p.runs[0].tokens) // 2  # mean context over the decode
        nbytes = p.bytes_per_token(context)
        floor_s = nbytes / read_bw
        rows[p.name] = {
            "label": p.label,
            "tokens_per_s": round(1 / step, 2),
            "step_ms_p10": round(step * 1e3, 2),
            "step_ms_median": round(statistics.median(steps) * 1e3, 2),
            "runs_tokens_per_s": [round(len(run.step_s) / sum(run.step_s), 2) for run in p.runs],
            "ttft_ms": round(min(run.ttft_s for run in p.runs) * 1e3, 1),
            "new_tokens": len(p.runs[0].tokens),
            "bytes_per_token": nbytes,
            "bytes_note": p.bytes_note,
            "floor_ms": round(floor_s * 1e3, 2),
            "fraction_of_floor": round(floor_s / step, 3),
            "tokens_same_every_round": all(run.tokens == p.runs[0].tokens for run in p.runs),
            "leading_tokens_equal_to_engine_float32": _leading_agreement(p.runs[0].tokens, reference),
        }
    ratios = {}
    speed = {name: row["tokens_per_s"] for name, row in rows.items()}
    ratios["float32_vs_hf"] = round(speed["engine_float32"] / speed["hf_float32"], 3)
    ratios["native_vs_hf"] = round(speed["engine_native"] / speed["hf_float32"], 3)
    if "llama_cpp" in speed:
        ratios["native_vs_llama_cpp"] = round(speed["engine_native"] / speed["llama_cpp"], 3)
    ratios["float32_fraction_of_floor"] = rows["engine_float32"]["fraction_of_floor"]
    hf_tokens = paths[0].runs[0].tokens
    return {
        "prompt_tokens": len(prompt),
        "max_new_tokens": NEW_TOKENS,
        "rounds": rounds,
        "threads": THREADS,
        "read_bandwidth": {**bandwidth, "gb_s_after": bandwidth_after["gb_s"], "used_gb_s": round(read_bw / 1e9, 2)},
        "paths": rows,
        "ratios": ratios,
        "targets": TARGETS,
        "float32_tokens_identical_to_hf": reference == hf_tokens,
        "llama_cpp_missing": missing,
    }


def render_markdown(result: dict[str, Any]) -> str:
    paths, ratios, bw = result["paths"], result["ratios"], result["read_bandwidth"]
    lines = [
        f"## Decode: every path side by side (SmolLM2-135M, CPU, batch 1, greedy, up to {result['max_new_tokens']} new tokens, "
        f"{result['threads']} threads, {result['prompt_tokens']}-token prompt)",
        "",
        (f"Read bandwidth **{bw['used_gb_s']} GB/s**: {bw['method']}, measured before and after the decode rounds "
         f"({bw['gb_s']} and {bw['gb_s_after']} GB/s; the faster is used, so the floor is a lower bound). "
         "Floor = bytes a decode step must read (weights + KV cache at the mean context) / read bandwidth."),
        "",
        *table(
            ("path", "tok/s (p10 step)", "step p10 / median", "runs, tok/s", "TTFT", "bytes read / token", "floor",
             "fraction of floor", "same leading tokens as engine float32"), "<>><>>>>>",
            ((row["label"], f"**{row['tokens_per_s']}**", f"{row['step_ms_p10']} / {row['step_ms_median']} ms",
              row["runs_tokens_per_s"], f"{row['ttft_ms']} ms", f"{row['bytes_per_token'] / 1e6:.1f} MB ({row['bytes_note']})",
              f"{row['floor_ms']} ms", f"**{row['fraction_of_floor']:.0%}**",
              f"{row['leading_tokens_equal_to_engine_float32']} of {row['new_tokens']}") for row in paths.values()),
        ),
    ]
    if result.get("llama_cpp_missing"):
        lines += ["", f"llama.cpp: not measured: {result['llama_cpp_missing']}."]
    t = result["targets"]

    def verdict(key: str) -> str:
        if key not in ratios:
            return "not measured"
        return "met" if ratios[key] >= t[key] else "not met"

    def floor_verdict() -> str:
        # The issue's float32 target is "1.5x HF, or 90% of the floor if no float32 engine can reach 1.5x".
        measured = verdict("float32_fraction_of_floor")
        return f"{measured} (not needed: 1.5x HF is met)" if measured == "not met" and verdict("float32_vs_hf") == "met" else measured

    lines += [
        "",
        "| ratio | measured | target | |",
        "|---|---:|---:|---|",
        f"| engine native / llama.cpp | {ratios.get('native_vs_llama_cpp', '—')} | ≥ {t['native_vs_llama_cpp']} | {verdict('native_vs_llama_cpp')} |",
        f"| engine native / HF float32 | {ratios['native_vs_hf']} | ≥ {t['native_vs_hf']} | {verdict('native_vs_hf')} |",
        f"| engine float32 / HF float32 | {ratios['float32_vs_hf']} | ≥ {t['float32_vs_hf']} | {verdict('float32_vs_hf')} |",
        f"| engine float32, fraction of the read floor (the float32 target when 1.5x HF is out of reach) | "
        f"{ratios['float32_fraction_of_floor']:.0%} | ≥ {t['float32_fraction_of_floor']:.0%} | {floor_verdict()} |",
        "",
        f"Engine float32 greedy tokens identical to HF's: {result['float32_tokens_identical_to_hf']}.",
        (f"HF float32 runs at {paths['hf_float32']['fraction_of_floor']:.0%} of the float32 floor, so no float32 engine can beat it "
         f"by more than {1 / paths['hf_float32']['fraction_of_floor']:.2f}x on this machine."),
    ]
    return "\n".join(lines)
