"""Tensor parallelism (engine.experiments.tensor_parallel) and the tensor_parallel demo.

The sharded arithmetic is checked with ranks as threads (same code, an in-process all-reduce) on a
tiny model shaped like SmolLM2 (9 query heads in 3 KV groups, so 2 ranks must share a KV head);
the process launcher is checked for cleanup on timeout and on a failing rank; the demo runs the
real weights across 2 gloo processes.
"""
from __future__ import annotations

import subprocess

import pytest
import torch

from engine import build_model, generate
from engine.core.config import ModelConfig
from engine.demos import DemoParamError, run_demo
from engine.core.sampling import SamplingParams
from engine.experiments.tensor_parallel import TensorParallelError, run_in_threads, run_tensor_parallel, shard_plan

TINY = ModelConfig(vocab_size=64, d_model=72, n_layers=2, n_heads=9, n_kv_heads=3, d_ff=96, max_seq_len=64)
PROMPT = [3, 17, 5, 40, 22]


def unfused_state(model) -> dict[str, torch.Tensor]:
    """The checkpoint layout (q/k/v and gate/up separate) that the ranks slice."""
    config, state = model.config, {}
    for name, tensor in model.state_dict().items():
        if ".attn.qkv." in name:
            q, k, v = tensor.split((config.n_heads * config.head_dim, config.n_kv_heads * config.head_dim,
                                    config.n_kv_heads * config.head_dim))
            for part, value in (("q_proj", q), ("k_proj", k), ("v_proj", v)):
                state[name.replace("qkv", part)] = value
        elif ".mlp.gate_up." in name:
            gate, up = tensor.chunk(2)
            state[name.replace("gate_up", "gate_proj")], state[name.replace("gate_up", "up_proj")] = gate, up
        else:
            state[name] = tensor
    return state


@pytest.fixture(scope="module")
def tiny():
    return build_model(TINY, seed=11)


def test_plan_covers_every_head_and_unit_once_and_shares_straddled_kv_heads():
    plans = [shard_plan(TINY, rank, 2) for rank in range(2)]
    assert [list(p.q_heads) for p in plans] == [[0, 1, 2, 3], [4, 5, 6, 7, 8]]
    assert [list(p.kv_heads) for p in plans] == [[0, 1], [1, 2]]  # query heads 3-5 read KV head 1: both hold it
    assert [len(p.ff) for p in plans] == [48, 48]
    assert [list(shard_plan(TINY, r, 3).kv_heads) for r in range(3)] == [[0], [1], [2]]
    with pytest.raises(ValueError, match="world"):
        shard_plan(TINY, 0, 10)


@pytest.mark.parametrize("world", [1, 2, 3])
def test_sharded_ranks_reproduce_the_whole_model(tiny, world):
    steps = 6
    results = run_in_threads(TINY, unfused_state(tiny), PROMPT, steps, world)
    expected = generate(tiny, PROMPT, steps + 1, SamplingParams(temperature=0.0)).tokens
    seq = torch.tensor([PROMPT + results[0]["tokens"]])
    with torch.inference_mode():
        full = tiny(seq)[0, len(PROMPT) - 1 :]  # the logits after the prompt and after each fed token
    for result in results:
        assert result["tokens"] == expected[:steps]
        assert (result["logits"] - full).abs().max() < 1e-5
        assert torch.equal(result["logits"], results[0]["logits"])  # every rank ends with the same logits
        # Two all-reduces per layer, each of one token's d_model float32 activations.
        assert result["decode_all_reduces"] == steps * 2 * TINY.n_layers
        assert result["decode_bytes"] == steps * 2 * TINY.n_layers * TINY.d_model * 4
        assert result["prefill_bytes"] == 2 * TINY.n_layers * len(PROMPT) * TINY.d_model * 4


def recording_popen(monkeypatch) -> list[subprocess.Popen]:
    started: list[subprocess.Popen] = []
    real = subprocess.Popen

    def popen(*args, **kwargs):
        started.append(real(*args, **kwargs))
        return started[-1]

    monkeypatch.setattr(subprocess, "Popen", popen)
    return started


def test_ranks_are_killed_when_the_deadline_passes(monkeypatch, tmp_path):
    started = recording_popen(monkeypatch)
    with pytest.raises(TensorParallelError, match="did not finish within 0.3 s"):
        run_tensor_parallel(tmp_path / "none.gguf", PROMPT, 2, world=2, timeout_s=0.3)
    assert len(started) == 2 and all(p.returncode is not None for p in started)


@pytest.mark.slow
def test_a_failing_rank_is_reported_and_the_others_killed(monkeypatch, tmp_path):
    started = recording_popen(monkeypatch)
    with pytest.raises(TensorParallelError, match="rank [01] exited with code 1") as info:
        run_tensor_parallel(tmp_path / "missing.gguf", PROMPT, 2, world=2, timeout_s=120)
    assert "no GGUF file" in str(info.value)  # the rank's own traceback tail comes back
    assert all(p.returncode is not None for p in started)


def test_world_size_is_bounded():
    with pytest.raises(DemoParamError) as info:
        run_demo("tensor_parallel", {"world_size": 4})
    assert info.value.param == "world_size"


@pytest.mark.slow
def test_demo_on_the_real_model_across_two_processes(smollm2, monkeypatch, demo_contract):
    monkeypatch.setattr("engine.io.loader.shared_model", lambda *args, **kwargs: smollm2)
    progress = []
    result = run_demo("tensor_parallel", {"steps": 3}, lambda p, m: progress.append(p))
    demo_contract(result)
    metrics = {m["name"]: m["value"] for m in result["metrics"]}
    assert metrics["max |Δlogit| vs one process"] < 1e-3
    assert metrics["all-reduce bytes per layer per token"] == 2 * 576 * 4
    tp_row = result["table"]["rows"][-1]
    assert tp_row[1] == 2 and tp_row[4] == 60  # 30 layers x 2 all-reduces
    assert "tokens identical" in result["notes"][0]
    assert progress == sorted(progress) and len(progress) >= 5
