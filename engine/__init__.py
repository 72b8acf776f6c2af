"""The inference engine: a LLaMA-shaped decoder, KV caches, sampling and generation on PyTorch.

Importing ``engine`` is free: every public name is resolved lazily (PEP 562), so the Django web
process can list demos and validate their parameters without importing torch. Heavy work runs in
Celery workers, which call e.g.::

    from engine import load_model, generate, SamplingParams
    model, tokenizer = load_model("smollm2-135m")
    result = generate(model, tokenizer.encode("Hello"), 32, SamplingParams(temperature=0))
"""
from __future__ import annotations

import importlib
from typing import Any

# public name -> module that defines it
_EXPORTS = {
    "load_model": "engine.loader",
    "build_model": "engine.loader",
    "shared_model": "engine.loader",
    "generate": "engine.generate",
    "stream_generate": "engine.generate",
    "GenerationResult": "engine.generate",
    "SamplingParams": "engine.sampling",
    "SamplingError": "engine.sampling",
    "ModelConfig": "engine.config",
    "PRESETS": "engine.config",
    "make_cache": "engine.kv_cache",
}

__all__ = [
    "PRESETS",
    "GenerationResult",
    "ModelConfig",
    "SamplingError",
    "SamplingParams",
    "build_model",
    "generate",
    "load_model",
    "make_cache",
    "shared_model",
    "stream_generate",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'engine' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
