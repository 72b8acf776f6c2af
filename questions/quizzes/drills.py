"""Generated back-of-the-envelope drills: random but plausible model shapes, graded by engine.formulas.

Each drill draws its parameters once, when the attempt starts, and stores them
on the slot (``Slot.drill``). The expected value is *recomputed* from those
parameters with the same ``engine.formulas`` function the bank and the demos
use, so a drill can never disagree with the formulas it teaches.
"""
from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine import formulas
from engine.core.config import ModelConfig

TOLERANCE = 0.02  # relative: the arithmetic is exact, but people round intermediate results

# Shapes seen in real decoders; any combination drawn from these is plausible.
_LAYERS = (12, 16, 24, 28, 32, 40, 48, 60, 80)
_HEAD_DIMS = (64, 128)
_HEADS = (8, 12, 16, 24, 32, 40, 48, 64)
_VOCABS = (32000, 32768, 50257, 65536, 128256, 151936)
_SEQ_LENS = (512, 1024, 2048, 4096, 8192, 16384, 32768)
_BATCHES = (1, 2, 4, 8, 16, 32, 64)
_DTYPES = ("float16", "bfloat16", "int8", "float32")
# Memory bandwidths of common accelerators, bytes/s (spec-sheet numbers). Each label states exactly the
# number the answer is computed with: a taker who works from "1.0 TB/s" while the key used 1.008 TB/s
# lands 0.8% off the shown answer for no fault of theirs.
_BANDWIDTHS = {"a laptop GPU (256 GB/s)": 256e9, "an A10 (600 GB/s)": 600e9, "an A100 40GB (1,555 GB/s)": 1.555e12,
               "an H100 SXM (3.35 TB/s)": 3.35e12, "an RTX 4090 (1,008 GB/s)": 1.008e12}


@dataclass(frozen=True)
class Drill:
    kind: str
    params: dict[str, Any]  # JSON-serialisable; everything needed to recompute the answer
    prompt: str
    unit: str
    expected: float
    tolerance: float
    explanation: str


def random_config(rng: random.Random) -> ModelConfig:
    """A LLaMA-style decoder shape: heads x head_dim = d_model, KV heads dividing the heads, SwiGLU width ~8/3 d."""
    n_heads = rng.choice(_HEADS)
    head_dim = rng.choice(_HEAD_DIMS)
    d_model = n_heads * head_dim
    n_kv_heads = rng.choice([k for k in (1, 2, 4, 8, n_heads) if n_heads % k == 0])
    d_ff = max(256, round(d_model * 8 / 3 / 256) * 256)
    return ModelConfig(
        name="drill", vocab_size=rng.choice(_VOCABS), d_model=d_model, n_layers=rng.choice(_LAYERS),
        n_heads=n_heads, n_kv_heads=n_kv_heads, d_ff=d_ff, max_seq_len=32768,
        tie_embeddings=rng.random() < 0.3,
    )


def _config_params(config: ModelConfig) -> dict[str, Any]:
    return dataclasses.asdict(config)


def config_from_params(params: dict[str, Any]) -> ModelConfig:
    return ModelConfig(**params["config"])


def _shape_sentence(c: ModelConfig) -> str:
    return (
        f"{c.n_layers} layers, d_model {c.d_model}, {c.n_heads} query heads of dimension {c.head_dim}, "
        f"{c.n_kv_heads} KV head{'s' if c.n_kv_heads > 1 else ''}"
    )


# --- one builder per drill kind: draw parameters, then phrase the question ---------------------------

def _kv_cache(rng: random.Random) -> dict[str, Any]:
    c = random_config(rng)
    return {"config": _config_params(c), "seq_len": rng.choice(_SEQ_LENS), "batch": rng.choice(_BATCHES),
            "dtype": rng.choice(_DTYPES[:3])}


def _param_count(rng: random.Random) -> dict[str, Any]:
    return {"config": _config_params(random_config(rng))}


def _attention_flops(rng: random.Random) -> dict[str, Any]:
    return {"config": _config_params(random_config(rng)), "seq_len": rng.choice(_SEQ_LENS)}


def _bandwidth(rng: random.Random) -> dict[str, Any]:
    device = rng.choice(sorted(_BANDWIDTHS))
    return {"config": _config_params(random_config(rng)), "device": device, "bandwidth": _BANDWIDTHS[device],
            "dtype": rng.choice(_DTYPES), "context_len": rng.choice(_SEQ_LENS), "batch": rng.choice(_BATCHES[:5])}


@dataclass(frozen=True)
class _Kind:
    draw: Callable[[random.Random], dict[str, Any]]
    compute: Callable[[dict[str, Any]], float]
    phrase: Callable[[dict[str, Any]], str]
    unit: str
    explanation: str


KINDS: dict[str, _Kind] = {
    "kv_cache_bytes": _Kind(
        draw=_kv_cache,
        compute=lambda p: formulas.kv_cache_bytes(config_from_params(p), p["seq_len"], p["batch"], p["dtype"]),
        phrase=lambda p: (
            f"A decoder has {_shape_sentence(config_from_params(p))}. How many bytes does its KV cache take "
            f"for a batch of {p['batch']} sequence(s) of {p['seq_len']:,} tokens stored in {p['dtype']}?"
        ),
        unit="bytes",
        explanation="2 (K and V) × layers × KV heads × head_dim × tokens × batch × bytes per element. "
        "Query heads do not matter: only the KV heads are cached.",
    ),
    "param_count": _Kind(
        draw=_param_count,
        compute=lambda p: formulas.param_count(config_from_params(p)),
        phrase=lambda p: (
            f"A LLaMA-style decoder (SwiGLU MLP, RMSNorm, rotary positions, no biases) has "
            f"{_shape_sentence(config_from_params(p))}, MLP width {p['config']['d_ff']}, a vocabulary of "
            f"{p['config']['vocab_size']:,} and {'tied' if p['config']['tie_embeddings'] else 'separate'} input and "
            "output embeddings. About how many parameters does it have in total?"
        ),
        unit="parameters",
        explanation="Per layer: 2·d² (W_q, W_o) + 2·d·kv_dim (W_k, W_v) + 3·d·d_ff (SwiGLU) + 2·d (norms); "
        "then vocab·d for the embeddings, the same again for an untied output head, and d for the final norm.",
    ),
    "attention_flops": _Kind(
        draw=_attention_flops,
        compute=lambda p: formulas.attention_flops(config_from_params(p), p["seq_len"], causal=True),
        phrase=lambda p: (
            f"A decoder has {_shape_sentence(config_from_params(p))}. Counting a multiply-add as 2 FLOPs, how many "
            f"FLOPs do the QKᵀ and PV matmuls take over all layers for one causal sequence of {p['seq_len']:,} "
            "tokens, if the kernel skips the masked half?"
        ),
        unit="FLOPs",
        explanation="Each of QKᵀ and PV is 2·T²·d_model FLOPs per layer; two of them, times the layers, halved by "
        "the causal mask: 2·T²·d_model·layers.",
    ),
    "bandwidth_tokens_per_s": _Kind(
        draw=_bandwidth,
        compute=lambda p: formulas.bandwidth_bound_tokens_per_s(
            config_from_params(p), p["bandwidth"], p["dtype"], p["context_len"], p["batch"]
        ),
        phrase=lambda p: (
            f"A decoder with {formulas.param_count(config_from_params(p)):,} parameters "
            f"({_shape_sentence(config_from_params(p))}) runs in {p['dtype']} on {p['device']}. Each decode step "
            f"must read every weight and the whole KV cache once. With a batch of {p['batch']} and "
            f"{p['context_len']:,} tokens of context per sequence (cache in the same dtype), what is the upper "
            "bound on generated tokens per second for the whole batch?"
        ),
        unit="tokens/s",
        explanation="tokens/s ≤ batch × bandwidth ÷ (weight bytes + KV-cache bytes read per step). "
        "Compute does not enter: at small batch, decoding is bound by memory traffic.",
    ),
}
DRILL_KINDS = tuple(KINDS)


def generate(kind: str, rng: random.Random) -> Drill:
    """Draw a fresh drill of ``kind``."""
    try:
        spec = KINDS[kind]
    except KeyError:
        raise ValueError(f"unknown drill kind {kind!r}; known: {', '.join(DRILL_KINDS)}") from None
    params = spec.draw(rng)
    return Drill(kind=kind, params=params, prompt=spec.phrase(params), unit=spec.unit,
                 expected=float(spec.compute(params)), tolerance=TOLERANCE, explanation=spec.explanation)


def expected_value(kind: str, params: dict[str, Any]) -> float:
    """The right answer for stored parameters, recomputed with engine.formulas."""
    return float(KINDS[kind].compute(params))


def explanation(kind: str) -> str:
    return KINDS[kind].explanation
