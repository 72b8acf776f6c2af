"""Command line: generate text, run a demo, run the benchmark.

    python -m engine generate "Why is the sky blue?" --max-new-tokens 64 --temperature 0.7
    python -m engine demo kv_cache_memory --seq_len 8192 --dtype int8
    python -m engine bench --json engine/BENCHMARKS.json [--quick]
    python -m engine bench-demos [NAME ...] [--write]
    python -m engine gpu-check [--stages ...] [--budget-s 480]

Choices (cache kinds, attention backends, demo names) come from the registries that define them,
so a new cache or demo shows up here without editing this file.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence


def _generate(args: argparse.Namespace) -> int:
    from engine.core.generate import stream_generate
    from engine.core.sampling import SamplingParams
    from engine.io.loader import load_model

    sampling = SamplingParams(
        temperature=args.temperature, top_k=args.top_k, top_p=args.top_p, min_p=args.min_p,
        repetition_penalty=args.repetition_penalty, frequency_penalty=args.frequency_penalty,
        presence_penalty=args.presence_penalty, seed=args.seed,
    )
    model, tokenizer = load_model(args.model, device=args.device, weights=args.weights)
    model.set_attention_backend(args.attention)
    if args.raw:
        prompt = tokenizer.encode(args.prompt)
    else:
        prompt = tokenizer.encode_chat([{"role": "user", "content": args.prompt}])
    stops = [] if tokenizer.eos_token_id is None else [tokenizer.eos_token_id]
    tokens: list[int] = []
    printed = ""
    stream = stream_generate(
        model, prompt, args.max_new_tokens, sampling, cache=args.cache, stop_token_ids=stops, window=args.window
    )
    for token in stream:
        tokens.append(token)
        text = tokenizer.decode(tokens, skip_special_tokens=True)
        # A character split across byte-level tokens decodes as U+FFFD until its last byte arrives.
        if not text.endswith("\ufffd"):
            sys.stdout.write(text[len(printed) :])
            sys.stdout.flush()
            printed = text
    sys.stdout.write("\n")
    return 0


def _parse_demo_params(pairs: Sequence[str]) -> dict[str, str]:
    """``--name value`` / ``--name=value`` pairs; values stay strings, the demo's Params convert them."""
    params: dict[str, str] = {}
    items = list(pairs)
    while items:
        item = items.pop(0)
        if not item.startswith("--"):
            raise ValueError(f"expected --name value, got {item!r}")
        name, eq, value = item[2:].partition("=")
        if not eq:
            if not items:
                raise ValueError(f"--{name} needs a value")
            value = items.pop(0)
        params[name.replace("-", "_")] = value
    return params


def _demo(args: argparse.Namespace, extra: Sequence[str]) -> int:
    from engine.demos import DemoError, run_demo

    try:
        params = _parse_demo_params(extra)
        result = run_demo(args.name, params, progress=lambda pct, msg: print(f"[{pct:3d}%] {msg}", file=sys.stderr))
    except (DemoError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


def _bench(args: argparse.Namespace) -> int:
    from engine.bench.decode import run_bench, write_outputs

    from pathlib import Path

    sections = tuple(s.strip() for s in args.sections.split(",") if s.strip())
    previous_path = Path(args.json) if args.json else Path(__file__).with_name("BENCHMARKS.json")
    previous = json.loads(previous_path.read_text(encoding="utf-8")) if previous_path.is_file() else None
    result = run_bench(quick=args.quick, progress=lambda msg: print(msg, file=sys.stderr), sections=sections, previous=previous)
    paths = write_outputs(result, args.json)
    print(json.dumps(result["summary"], indent=2))
    print("wrote " + ", ".join(str(p) for p in paths), file=sys.stderr)
    return 0


def _bench_demos(args: argparse.Namespace) -> int:
    import os
    import subprocess

    # A fresh process, so OpenMP reads the wait policy before torch loads it (see engine/bench/demos.py).
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}
    command = [sys.executable, "-m", "engine.bench.demos", *args.names, *(["--write"] if args.write else [])]
    return subprocess.run(command, env=env, check=False).returncode


def build_parser() -> argparse.ArgumentParser:
    from engine.core.attention import BACKENDS
    from engine.core.kv_cache import CACHE_TYPES
    from engine.io.loader import WEIGHTS

    parser = argparse.ArgumentParser(prog="python -m engine", description="The interview-prep inference engine.")
    sub = parser.add_subparsers(dest="command", required=True)

    gen = sub.add_parser("generate", help="stream a reply from the model")
    gen.add_argument("prompt")
    gen.add_argument("--model", default="smollm2-135m")
    gen.add_argument("--device", default="cpu")
    gen.add_argument("--weights", default=WEIGHTS[0], choices=WEIGHTS,
                     help="dequantized: float32, exact against HF (default); gguf: the file's own 4-/8-bit blocks, faster")
    gen.add_argument("--max-new-tokens", type=int, default=128)
    gen.add_argument("--temperature", type=float, default=0.0, help="0 = greedy (default)")
    gen.add_argument("--top-k", type=int, default=0)
    gen.add_argument("--top-p", type=float, default=1.0)
    gen.add_argument("--min-p", type=float, default=0.0)
    gen.add_argument("--repetition-penalty", type=float, default=1.0)
    gen.add_argument("--frequency-penalty", type=float, default=0.0)
    gen.add_argument("--presence-penalty", type=float, default=0.0)
    gen.add_argument("--seed", type=int, default=None)
    gen.add_argument("--cache", default="static", choices=tuple(CACHE_TYPES))
    gen.add_argument("--attention", default="sdpa", choices=tuple(BACKENDS), help="attention backend of every layer")
    gen.add_argument("--window", type=int, default=None, help="tokens kept by --cache sliding")
    gen.add_argument("--raw", action="store_true", help="send the prompt as is, without the chat template")

    demo = sub.add_parser("demo", help="run a registered demo and print its JSON result")
    demo.add_argument("name")

    bench = sub.add_parser("bench", help="engine vs HF transformers, bandwidth floor, KV cache; writes BENCHMARKS.*")
    bench.add_argument("--json", default=None, help="where to write the JSON (the .md goes next to it)")
    bench.add_argument("--quick", action="store_true", help="fewer repetitions and lengths")
    bench.add_argument(
        "--sections", default="decode,kv,attention,serving",
        help="comma-separated sections to measure (decode, kv, attention, serving); the rest are kept from the existing JSON",
    )

    sub.add_parser(
        "gpu-check", help="on a CUDA machine: kernel tests, Triton vs SDPA, SmolLM2 decode; writes BENCHMARKS_GPU.*",
        add_help=False,  # its options (--stages, --budget-s, --out) belong to engine.bench.gpu_check
    )

    demos = sub.add_parser("bench-demos", help="time every demo's default run on a warm worker")
    demos.add_argument("names", nargs="*", help="demos to time (default: all)")
    demos.add_argument("--write", action="store_true", help="write the table into engine/BENCHMARKS.md")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if args.command == "demo":
        return _demo(args, extra)
    if args.command == "gpu-check":
        from engine.bench.gpu_check import main as gpu_check

        return gpu_check(extra)
    if extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    commands = {"generate": _generate, "bench": _bench, "bench-demos": _bench_demos}
    try:
        return commands[args.command](args)
    except ValueError as exc:  # bad sampling values, prompt too long, unknown model...
        print(f"error: {exc}", file=sys.stderr)
        return 2
