"""Model configuration: one dataclass describes every decoder the engine builds.

The fields follow the LLaMA family (RoPE, RMSNorm, SwiGLU, grouped KV heads).
``mlp="gelu"`` with learned positions describes GPT-2-style models for the
memory and parameter formulas; the engine itself only *runs* the LLaMA shape.
"""
from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class ModelConfig:
    vocab_size: int = 49152
    d_model: int = 576
    n_layers: int = 30
    n_heads: int = 9
    # n_kv_heads == n_heads is MHA, 1 is MQA, anything in between (dividing n_heads) is GQA.
    n_kv_heads: int = 3
    d_ff: int = 1536
    max_seq_len: int = 8192
    rope_theta: float = 100000.0
    norm_eps: float = 1e-5
    tie_embeddings: bool = True
    # Mistral-style sliding-window attention: each query sees at most this many most recent keys.
    sliding_window: int | None = None
    mlp: str = "swiglu"  # "swiglu" (3 matrices) or "gelu" (2 matrices, GPT-2)
    positions: str = "rope"  # "rope" or "learned" (GPT-2: a max_seq_len x d_model table)
    name: str = "custom"

    def __post_init__(self) -> None:
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model ({self.d_model}) must be divisible by n_heads ({self.n_heads})")
        if self.n_kv_heads < 1 or self.n_heads % self.n_kv_heads:
            raise ValueError(f"n_kv_heads ({self.n_kv_heads}) must be between 1 and n_heads and divide n_heads ({self.n_heads})")
        if self.sliding_window is not None and self.sliding_window < 1:
            raise ValueError(f"sliding_window must be a positive number of tokens, got {self.sliding_window}")
        if self.mlp not in ("swiglu", "gelu"):
            raise ValueError(f"mlp must be 'swiglu' or 'gelu', got {self.mlp!r}")
        if self.positions not in ("rope", "learned"):
            raise ValueError(f"positions must be 'rope' or 'learned', got {self.positions!r}")

    @property
    def head_dim(self) -> int:
        return self.d_model // self.n_heads

    @property
    def group_size(self) -> int:
        """Query heads that share one KV head."""
        return self.n_heads // self.n_kv_heads

    def with_(self, **changes) -> "ModelConfig":
        return replace(self, **changes)


# Published shapes of well-known models (from their configs / papers).
PRESETS: dict[str, ModelConfig] = {
    "smollm2-135m": ModelConfig(name="smollm2-135m"),
    "gpt2": ModelConfig(
        name="gpt2", vocab_size=50257, d_model=768, n_layers=12, n_heads=12, n_kv_heads=12, d_ff=3072,
        max_seq_len=1024, mlp="gelu", positions="learned", tie_embeddings=True,
    ),
    "llama2-7b": ModelConfig(
        name="llama2-7b", vocab_size=32000, d_model=4096, n_layers=32, n_heads=32, n_kv_heads=32, d_ff=11008,
        max_seq_len=4096, rope_theta=10000.0, tie_embeddings=False,
    ),
    "llama2-70b": ModelConfig(
        name="llama2-70b", vocab_size=32000, d_model=8192, n_layers=80, n_heads=64, n_kv_heads=8, d_ff=28672,
        max_seq_len=4096, rope_theta=10000.0, tie_embeddings=False,
    ),
    "mistral-7b": ModelConfig(
        name="mistral-7b", vocab_size=32000, d_model=4096, n_layers=32, n_heads=32, n_kv_heads=8, d_ff=14336,
        max_seq_len=32768, rope_theta=10000.0, tie_embeddings=False, sliding_window=4096,
    ),
}
