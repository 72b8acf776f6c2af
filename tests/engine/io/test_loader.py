"""warm_shared_models loads what the demos share: the float32 model on the worker's device and the GGUF blocks on the CPU."""
from __future__ import annotations

from engine.io import loader


def test_it_loads_the_float32_model_and_the_native_blocks(monkeypatch):
    loaded: list[tuple[str, str]] = []
    monkeypatch.setattr(loader, "shared_model", lambda device="cpu", weights="dequantized", **_: loaded.append((str(device), weights)))
    loader.warm_shared_models(device="cuda")
    assert loaded == [("cuda", "dequantized"), ("cpu", "gguf")]
