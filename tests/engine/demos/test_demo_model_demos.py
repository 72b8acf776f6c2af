"""The demos that run the real SmolLM2-135M, with small parameters (they share one loaded copy)."""
from __future__ import annotations

import pytest

from engine.demos import DemoParamError, get_demo, run_demo

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def warm_model(smollm2, monkeypatch):
    """Hand the session's model to the demos instead of loading a second copy."""
    monkeypatch.setattr("engine.io.loader.shared_model", lambda *args, **kwargs: smollm2)


def test_kv_cache_vs_recompute(demo_contract):
    result = run_demo("kv_cache_vs_recompute", {"max_len": 32, "reps": 1})
    demo_contract(result)
    assert [row[0] for row in result["table"]["rows"]] == [16, 32]
    # The ratio is computed before rounding the times to 0.01 ms, so compare loosely.
    assert all(row[3] == pytest.approx(row[2] / row[1], rel=0.02) for row in result["table"]["rows"])


def test_sliding_window_cache(demo_contract):
    result = run_demo("sliding_window_cache", {"window": 8, "new_tokens": 12})
    demo_contract(result)
    sliding = result["charts"][0]["series"][1]["y"]
    dynamic = result["charts"][0]["series"][0]["y"]
    assert len(set(sliding)) == 1  # the prompt already filled the window: constant from the first step
    assert dynamic == sorted(dynamic) and dynamic[-1] > dynamic[0]
    assert "matches kv_cache_bytes" in result["notes"][1]


def test_sampling_strategies(demo_contract):
    result = run_demo("sampling_strategies", {"prompt": "Say hi.", "max_new_tokens": 4, "seed": 1})
    demo_contract(result)
    rows = {row[0]: row for row in result["table"]["rows"]}
    assert rows["greedy"][1] == 0.0  # no randomness injected
    assert rows["temperature 1.5"][1] > rows["top-k 20"][1]


def test_prefill_vs_decode(demo_contract):
    result = run_demo("prefill_vs_decode", {"prompt_len": 16, "new_tokens": 4})
    demo_contract(result)
    metrics = {m["name"]: m["value"] for m in result["metrics"]}
    assert metrics["TTFT"] > 0 and metrics["TPOT"] > 0 and metrics["copy bandwidth"] > 0
    assert 0 < metrics["decode speed / bandwidth floor"] < 1.5


@pytest.mark.parametrize(
    "name,params,param",
    [
        ("kv_cache_vs_recompute", {"max_len": 8}, "max_len"),
        ("sliding_window_cache", {"window": 0}, "window"),
        ("sampling_strategies", {"prompt": "   "}, "prompt"),
        ("sampling_strategies", {"max_new_tokens": 1000}, "max_new_tokens"),
        ("prefill_vs_decode", {"prompt_len": 4096}, "prompt_len"),
    ],
)
def test_bad_params_name_the_param(name, params, param):
    with pytest.raises(DemoParamError) as info:
        run_demo(name, params)
    assert info.value.param == param


def test_model_demos_say_they_use_the_model():
    for name in ("kv_cache_vs_recompute", "sliding_window_cache", "sampling_strategies", "prefill_vs_decode"):
        assert get_demo(name).uses_model
