"""Building models: the pretrained SmolLM2 from its GGUF, random-init ones from a config, and a
process-wide memo so a warm Celery worker loads the weights once.
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from engine.core.config import PRESETS, ModelConfig

if TYPE_CHECKING:
    from engine.core.model import Transformer
    from engine.io.tokenizer import Tokenizer

PRETRAINED = {"smollm2-135m"}  # names load_model resolves to a bundled GGUF file
# How load_model holds the weights: "dequantized" = float32 (exact against HF up to float32 rounding, the default),
# "gguf" = the file's own quantised blocks with weight-only kernels (engine.core.quant_linear).
WEIGHTS = ("dequantized", "gguf")


def resolve_gguf(name_or_path: str | Path) -> Path:
    from engine.io.gguf import GGUFError, smollm2_gguf_path

    if str(name_or_path) == "smollm2-135m":
        return smollm2_gguf_path()
    path = Path(name_or_path)
    if path.suffix == ".gguf" and path.is_file():
        return path
    raise GGUFError(f"model: {name_or_path!r} is neither a known model ({', '.join(sorted(PRETRAINED))}) nor a .gguf file")


def _check_device(device: str | torch.device) -> torch.device:
    device = torch.device(device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("device: 'cuda' was requested but this machine has no CUDA GPU; use 'cpu'")
    if device.type not in ("cpu", "cuda"):
        raise ValueError(f"device must be 'cpu' or 'cuda', got {str(device)!r}")
    return device


def load_model(
    name_or_path: str | Path = "smollm2-135m",
    device: str | torch.device = "cpu",
    dtype: torch.dtype = torch.float32,
    weights: str = "dequantized",
) -> tuple[Transformer, Tokenizer]:
    """The pretrained model and its tokenizer.

    ``weights="dequantized"``: float32 matrices dequantised from the GGUF (cached on disk).
    ``weights="gguf"``: the file's own Q4_1 / Q8_0 blocks; ``dtype`` then sets the activations
    and norms (the CPU kernels compute in float32 whatever it is).
    """
    from engine.core.model import Transformer
    from engine.io.gguf import load_gguf_cached
    from engine.io.tokenizer import load_tokenizer

    if weights not in WEIGHTS:
        raise ValueError(f"weights: unknown option {weights!r}; choose one of {', '.join(WEIGHTS)}")
    device = _check_device(device)
    path = resolve_gguf(name_or_path)
    name = str(name_or_path) if str(name_or_path) in PRETRAINED else path.stem
    if weights == "gguf":
        from engine.io.gguf_native import load_native

        model = _move_native(load_native(path, name), device, dtype)
    else:
        config, state = load_gguf_cached(path, name=name)
        model = Transformer.from_state_dict(config, state).to(device=device, dtype=dtype)
        if device.type == "cpu" and dtype == torch.float32:
            model.use_cpu_decode_linears()
    return model, load_tokenizer(path)


def _move_native(model: Transformer, device: torch.device, dtype: torch.dtype) -> Transformer:
    """Move to ``device`` and cast float tensors to ``dtype``, leaving the quantised blocks as they are."""
    model = model.to(device=device)
    for module in model.modules():
        for name, param in module.named_parameters(recurse=False):
            setattr(module, name, torch.nn.Parameter(param.to(dtype), requires_grad=False))
    model.rope.to(dtype=dtype)
    return model


def build_model(
    config: ModelConfig | str,
    seed: int = 0,
    device: str | torch.device = "cpu",
    dtype: torch.dtype = torch.float32,
) -> Transformer:
    """A randomly initialised model of the given shape (a preset name or a ModelConfig)."""
    from engine.core.model import Transformer, init_weights

    if isinstance(config, str):
        try:
            config = PRESETS[config]
        except KeyError:
            raise ValueError(f"config: unknown preset {config!r}; known: {', '.join(sorted(PRESETS))}") from None
    with torch.device(_check_device(device)):
        model = Transformer(config)
    return init_weights(model, seed).to(dtype=dtype)


_shared: dict[tuple[str, str, str, str], tuple[Transformer, Tokenizer]] = {}
_shared_lock = threading.Lock()


def shared_model(
    name: str = "smollm2-135m",
    device: str | torch.device = "cpu",
    dtype: torch.dtype = torch.float32,
    weights: str = "dequantized",
) -> tuple[Transformer, Tokenizer]:
    """``load_model`` memoised per process: demos in a warm worker reuse one copy of the weights."""
    key = (str(name), str(torch.device(device)), str(dtype), weights)
    with _shared_lock:
        if key not in _shared:
            _shared[key] = load_model(name, device, dtype, weights)
        return _shared[key]


def warm_shared_models(device: str | torch.device = "cpu") -> None:
    """Load every model the demos share, so a worker's first click pays for none of them.

    The float32 model on the worker's device, and the native GGUF blocks on the CPU, where the
    quantisation demo compares them (loading those took ~6 of its 12.6 CPU seconds on a first run).
    """
    shared_model(device=device)
    shared_model(weights="gguf")
