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
    "load_model": "engine.io.loader",
    "build_model": "engine.io.loader",
    "shared_model": "engine.io.loader",
    "warm_shared_models": "engine.io.loader",
    "generate": "engine.core.generate",
    "stream_generate": "engine.core.generate",
    "GenerationResult": "engine.core.generate",
    "DecodeOptions": "engine.core.generate",
    "SamplingParams": "engine.core.sampling",
    "SamplingError": "engine.core.sampling",
    "ModelConfig": "engine.core.config",
    "PRESETS": "engine.core.config",
    "make_cache": "engine.core.kv_cache",
}

__all__ = [
    "PRESETS",
    "DecodeOptions",
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
    "warm_shared_models",
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
