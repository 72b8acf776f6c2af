"""``python -m engine bench``: the engine's numbers, side by side, in one run.

1. Decode on SmolLM2-135M, every path in the same run (engine/bench/peers.py): HF ``generate``
   float32, the engine's exact float32 path, its native GGUF-blocks path and llama.cpp on the same
   file; same prompt, greedy, 128 new tokens, 2 threads; tokens/s and the fraction of the
   read-bandwidth floor (read bandwidth measured in the same run) for each.
2. KV cache vs no cache: time for one new token at 64 / 128 / 256 / 512 tokens of context.
3. The attention and serving sections (``engine/bench/attention.py``, ``engine/bench/serving.py``).

Writes ``engine/BENCHMARKS.json`` and ``engine/BENCHMARKS.md``. Threads are pinned to 2 here (and
only here) so numbers are comparable across machines with more cores.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import platform
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.bench.report import header, table
from engine.runtime import wait_policy

ENGINE_DIR = Path(__file__).resolve().parents[1]
KV_LENGTHS = (64, 128, 256, 512)


def machine_description() -> dict[str, Any]:
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "threads_used": torch.get_num_threads(),
        "omp_wait_policy": wait_policy(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "torch": torch.__version__,
        "python": platform.python_version(),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def kv_cache_vs_none(model, lengths: tuple[int, ...], reps: int, progress: Callable[[str], None]) -> list[dict[str, Any]]:
    from engine.experiments.measure import DecodeStepper, filler_ids, interleaved_median_times

    ids = filler_ids(max(lengths) + 1, model.config.vocab_size)
    rows = []
    for n in lengths:
        steppers = {kind: DecodeStepper(model, n, kind, ids=ids, max_steps=reps + 2) for kind in ("static", "none")}
        seconds = interleaved_median_times({k: s.step for k, s in steppers.items()}, reps=reps)
        rows.append({
            "context_tokens": n,
            "cached_ms": round(seconds["static"] * 1e3, 2),
            "recompute_ms": round(seconds["none"] * 1e3, 2),
            "speedup": round(seconds["none"] / seconds["static"], 2),
        })
        progress(f"  context {n}: cached {rows[-1]['cached_ms']} ms, recompute {rows[-1]['recompute_ms']} ms")
    return rows


SECTIONS = ("decode", "kv", "attention", "serving")


def run_bench(
    quick: bool = False,
    progress: Callable[[str], None] = lambda msg: None,
    sections: tuple[str, ...] = SECTIONS,
    previous: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Run ``sections``; the others are carried over from ``previous`` (an earlier BENCHMARKS.json), if given.

    The attention and serving sections state their own measurement dates, so carrying them over
    keeps the report honest when only the decode numbers are re-measured.
    """
    import torch

    from engine.bench.peers import THREADS, run_decode_bench
    from engine.io.loader import load_model

    unknown = set(sections) - set(SECTIONS)
    if unknown:
        raise ValueError(f"sections: unknown {', '.join(sorted(unknown))}; choose from {', '.join(SECTIONS)}")
    torch.set_num_threads(THREADS)
    carried = {key: (previous or {}).get(key) for key in ("kv_cache_vs_none", "kv_measured", "attention", "serving")}
    result: dict[str, Any] = {"machine": machine_description(), "quick": quick}
    result.update({key: value for key, value in carried.items() if value is not None})
    if "decode" in sections:
        progress("decode: HF, engine float32, engine native, llama.cpp (128 tokens, greedy, interleaved rounds)")
        result["decode"] = run_decode_bench(rounds=1 if quick else 5, progress=progress)
    elif previous and "decode" in previous:
        result["decode"] = previous["decode"]
    else:
        raise ValueError("sections: the report needs the decode section; run it or pass a previous result that has it")
    if "kv" in sections:
        model, _ = load_model("smollm2-135m")
        progress("KV cache vs recompute")
        result["kv_cache_vs_none"] = kv_cache_vs_none(model, KV_LENGTHS[:2] if quick else KV_LENGTHS, 2 if quick else 3, progress)
        result["kv_measured"] = result["machine"]["date"]
    if "attention" in sections:
        progress("attention (engine/bench/attention.py)")
        from engine.bench.attention import run_attention_bench

        result["attention"] = run_attention_bench(quick)
    if "serving" in sections:
        progress("serving (engine/bench/serving.py)")
        from engine.bench.serving import run_serving_bench

        result["serving"] = run_serving_bench(quick)
    result["sections_measured"] = list(sections)
    result["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    decode = result["decode"]
    result["summary"] = {
        "tokens_per_s": {name: row["tokens_per_s"] for name, row in decode["paths"].items()},
        "fraction_of_read_floor": {name: row["fraction_of_floor"] for name, row in decode["paths"].items()},
        "ratios": decode["ratios"],
        "float32_tokens_identical_to_hf": decode["float32_tokens_identical_to_hf"],
        "llama_cpp_missing": decode["llama_cpp_missing"],
    }
    return result


def render_markdown(result: dict[str, Any]) -> str:
    from engine.bench.peers import render_markdown as decode_markdown

    m = result["machine"]
    lines = [
        *header(
            "Engine benchmarks",
            (f"Measured {m['date']} on {m['cpu']} ({m['cores']} cores, {m['threads_used']} torch threads, "
            f"OpenMP wait policy {m.get('omp_wait_policy', 'default')}), "
            f"torch {m['torch']}, Python {m['python']}. Load average {m['load_average_at_start']} at the start and "
            f"{m.get('load_average_at_end')} at the end: this machine is shared with other jobs, so the numbers are noisy "
            "(the decode paths run in interleaved rounds so that noise hits all of them, and each is summarised by its "
            "10th-percentile step; the KV-cache table shows medians of interleaved runs)."),
        ),
        *(["*Quick run: fewer rounds and lengths.*", ""] if result.get("quick") else []),
        *([f"Sections measured in this run: {', '.join(result['sections_measured'])}; the others are carried over from an "
           "earlier run and state their own dates.", ""] if set(result.get("sections_measured", SECTIONS)) != set(SECTIONS) else []),
        "Regenerate with `make bench` (`python -m engine bench --json engine/BENCHMARKS.json`).",
        "",
        decode_markdown(result["decode"]),
        "",
        "## KV cache vs recomputing the prefix (time for one new token)",
        "",
        # Carried over when only other sections are re-measured, so it says when it was measured.
        *([f"Measured {result['kv_measured']}.", ""] if result.get("kv_measured") else []),
        *table(
            ("context tokens", "cached ms", "recompute ms", "recompute / cached"), ">>>>",
            ((r["context_tokens"], r["cached_ms"], r["recompute_ms"], f"{r['speedup']}x") for r in result["kv_cache_vs_none"]),
        ),
        "",
    ]
    if "attention" in result:
        try:
            from engine.bench.attention import render_markdown as attention_markdown

            lines += [attention_markdown(result["attention"]), ""]
        except Exception as exc:  # noqa: BLE001 (their renderer is theirs; never lose our numbers over it)
            lines += ["## Attention", "", f"(could not render: {exc})", ""]
    if "serving" in result:
        from engine.bench.serving import render_markdown as serving_markdown

        lines += [serving_markdown(result["serving"]).replace("# Serving benchmarks", "## Serving", 1), ""]
    return "\n".join(lines)


def write_outputs(result: dict[str, Any], json_path: str | Path | None) -> list[Path]:
    json_path = Path(json_path) if json_path else ENGINE_DIR / "BENCHMARKS.json"
    md_path = json_path.with_suffix(".md")
    json_path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    from engine.bench.demos import BEGIN, END

    # The demo-runtime table is written by `python -m engine bench-demos --write`; keep it.
    old = md_path.read_text(encoding="utf-8") if md_path.exists() else ""
    demos = BEGIN + old.split(BEGIN, 1)[1].split(END, 1)[0] + END + "\n" if BEGIN in old and END in old else ""
    md_path.write_text(render_markdown(result) + ("\n" + demos if demos else ""), encoding="utf-8")
    return [json_path, md_path]
