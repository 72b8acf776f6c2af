"""Back-of-the-envelope formulas for memory, parameters, FLOPs and the bandwidth bound.

These are the formulas the bank's numeric questions and the quiz drills are
graded with, and the ones the demos compare measurements against. They count
what a dense decoder *stores and moves*; they ignore small terms (norm
weights, biases) unless stated.
"""
from __future__ import annotations

from engine.core.config import PRESETS, ModelConfig

__all__ = [
    "DTYPE_BYTES",
    "PRESETS",
    "dtype_bytes",
    "kv_cache_bytes",
    "kv_cache_bytes_per_token",
    "param_count",
    "weight_bytes",
    "attention_flops",
    "decode_flops_per_token",
    "bandwidth_bound_tokens_per_s",
    "arithmetic_intensity_decode",
]

DTYPE_BYTES: dict[str, float] = {
    "float32": 4, "fp32": 4,
    "float16": 2, "fp16": 2, "bfloat16": 2, "bf16": 2,
    "int8": 1, "fp8": 1,
    "int4": 0.5,
}


def dtype_bytes(dtype: str | float) -> float:
    """Bytes per element for a dtype name (or a number passed through)."""
    if isinstance(dtype, (int, float)):
        return float(dtype)
    name = str(dtype).removeprefix("torch.")
    try:
        return DTYPE_BYTES[name]
    except KeyError:
        raise ValueError(f"unknown dtype {dtype!r}; known: {', '.join(sorted(DTYPE_BYTES))}") from None


def _config(config: ModelConfig | str) -> ModelConfig:
    if isinstance(config, str):
        try:
            return PRESETS[config]
        except KeyError:
            raise ValueError(f"unknown model {config!r}; known: {', '.join(sorted(PRESETS))}") from None
    return config


def kv_cache_bytes_per_token(config: ModelConfig | str, dtype: str | float = "float16") -> float:
    """2 (K and V) x layers x KV heads x head_dim x bytes: what one token adds to the cache."""
    c = _config(config)
    return 2 * c.n_layers * c.n_kv_heads * c.head_dim * dtype_bytes(dtype)


def kv_cache_bytes(config: ModelConfig | str, seq_len: int, batch: int = 1, dtype: str | float = "float16") -> int:
    """Bytes of K and V for ``batch`` sequences of ``seq_len`` tokens.

    With a sliding window the cache never holds more than ``sliding_window`` tokens per sequence.
    Uses the KV head count, not the query head count: for GQA/MQA models that is the whole point.
    """
    c = _config(config)
    if seq_len < 0 or batch < 0:
        raise ValueError("seq_len and batch must be non-negative")
    tokens = min(seq_len, c.sliding_window) if c.sliding_window else seq_len
    return int(kv_cache_bytes_per_token(c, dtype) * tokens * batch)


def param_count(config: ModelConfig | str) -> int:
    """Parameters of the decoder: embeddings, attention, MLP and norms (biases ignored)."""
    c = _config(config)
    d, kv_dim = c.d_model, c.n_kv_heads * c.head_dim
    attention = d * d * 2 + d * kv_dim * 2  # W_q, W_o are d x d; W_k, W_v are d x kv_dim
    mlp = (3 if c.mlp == "swiglu" else 2) * d * c.d_ff
    norms = 2 * d
    per_layer = attention + mlp + norms
    embeddings = c.vocab_size * d
    lm_head = 0 if c.tie_embeddings else c.vocab_size * d
    positions = c.max_seq_len * d if c.positions == "learned" else 0
    return c.n_layers * per_layer + embeddings + lm_head + positions + d  # + final norm


def weight_bytes(config: ModelConfig | str, dtype: str | float = "float16") -> int:
    return int(param_count(config) * dtype_bytes(dtype))


def attention_flops(config: ModelConfig | str, seq_len: int, causal: bool = True) -> int:
    """FLOPs of the score and weighted-sum matmuls (QK^T and PV) for one full sequence, all layers.

    Each is 2 x T x T x d_model multiply-adds counted as 2 FLOPs; a causal mask lets a
    kernel skip about half (it still does the diagonal).
    """
    c = _config(config)
    full = 2 * 2 * seq_len * seq_len * c.d_model * c.n_layers
    return full // 2 if causal else full


def decode_flops_per_token(config: ModelConfig | str, context_len: int = 0) -> int:
    """About 2 FLOPs per parameter (one multiply-add each) plus attention over the context."""
    c = _config(config)
    return 2 * param_count(c) + 2 * 2 * context_len * c.d_model * c.n_layers


def bandwidth_bound_tokens_per_s(
    config: ModelConfig | str,
    bandwidth_bytes_per_s: float,
    dtype: str | float = "float16",
    context_len: int = 0,
    batch: int = 1,
) -> float:
    """Upper bound on decode steps per second when every step must read all weights and the cache once.

    Returns tokens/s for the whole batch (each step yields ``batch`` tokens).
    """
    bytes_per_step = weight_bytes(config, dtype) + kv_cache_bytes(config, context_len, batch, dtype)
    return batch * bandwidth_bytes_per_s / bytes_per_step


def arithmetic_intensity_decode(config: ModelConfig | str, batch: int = 1, dtype: str | float = "float16") -> float:
    """FLOPs per byte of weights read in one decode step: ~batch / bytes-per-weight x 2."""
    c = _config(config)
    return 2 * param_count(c) * batch / weight_bytes(c, dtype)
