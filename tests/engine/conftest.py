"""Fixtures for the engine tests: one copy of the real model (ours and HF's) per test session.

Loading SmolLM2-135M takes seconds, so every test that needs it shares these session-scoped
fixtures (and is marked ``slow``). HF transformers reads the same GGUF file with its own
dequantiser and Q/K un-permutation: an independent reference for ours.
"""
from __future__ import annotations

import pytest
import torch


@pytest.fixture(scope="session")
def gguf_path():
    from engine.io.gguf import smollm2_gguf_path

    return smollm2_gguf_path()


@pytest.fixture(scope="session")
def smollm2():
    """(model, tokenizer) from engine.load_model, float32 on CPU."""
    from engine import load_model

    return load_model("smollm2-135m")


@pytest.fixture(scope="session")
def smollm2_native():
    """The same model with weights="gguf": the file's Q4_1 / Q8_0 blocks and the weight-only kernels."""
    from engine import load_model

    model, _ = load_model("smollm2-135m", weights="gguf")
    return model


@pytest.fixture(scope="session")
def hf_smollm2(gguf_path):
    """HF's LlamaForCausalLM built from the same GGUF file, float32, eager attention."""
    transformers = pytest.importorskip("transformers")
    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    model = transformers.AutoModelForCausalLM.from_pretrained(
        str(gguf_path.parent), gguf_file=gguf_path.name, dtype=torch.float32
    )
    return model.eval()


@pytest.fixture(scope="session")
def hf_tokenizer(gguf_path):
    transformers = pytest.importorskip("transformers")
    return transformers.AutoTokenizer.from_pretrained(str(gguf_path.parent), gguf_file=gguf_path.name)


@pytest.fixture(scope="session")
def chat_prompt(smollm2) -> list[int]:
    _, tokenizer = smollm2
    return tokenizer.encode_chat([{"role": "user", "content": "Explain what a KV cache is in one paragraph."}])


def assert_demo_contract(result: dict) -> None:
    """The result shape engine/demos/registry.py promises to the site, checked field by field."""
    import json

    assert isinstance(result["title"], str) and result["title"]
    for metric in result["metrics"]:
        assert set(metric) == {"name", "value", "unit"}
        assert isinstance(metric["value"], (int, float, str))
    columns, rows = result["table"]["columns"], result["table"]["rows"]
    assert rows and all(len(row) == len(columns) for row in rows)
    for chart in result["charts"]:
        assert {"title", "x_label", "y_label", "log_x", "log_y", "series"} <= set(chart)
        for series in chart["series"]:
            assert len(series["x"]) == len(series["y"]) > 0
    assert result["notes"] and all(isinstance(n, str) and n for n in result["notes"])
    assert "torch" in result["environment"] and "params" in result
    json.dumps(result)  # must survive the trip through Celery's JSON serializer


@pytest.fixture
def demo_contract():
    return assert_demo_contract


@pytest.fixture(scope="module")
def one_torch_thread():
    """One intra-op thread for a module's tests (restored afterwards); see engine.experiments.measure.one_thread."""
    from engine.experiments.measure import one_thread

    with one_thread():
        yield
