"""Generated drills: plausible shapes, stored parameters, answers equal to engine.formulas."""
from __future__ import annotations

import json
import random

import pytest

from engine import formulas
from engine.core.config import ModelConfig
from questions.quizzes import drills


@pytest.mark.parametrize("seed", range(25))
def test_random_configs_are_valid_decoders(seed: int) -> None:
    config = drills.random_config(random.Random(seed))
    assert config.d_model == config.n_heads * config.head_dim
    assert config.n_heads % config.n_kv_heads == 0
    assert 256 <= config.d_ff <= 4 * config.d_model


@pytest.mark.parametrize("kind", drills.DRILL_KINDS)
def test_parameters_survive_json_and_recompute_the_same_answer(kind: str) -> None:
    drill = drills.generate(kind, random.Random(7))
    stored = json.loads(json.dumps(drill.params))
    assert drills.expected_value(kind, stored) == drill.expected
    assert drill.expected > 0
    assert drill.tolerance == drills.TOLERANCE


def test_kv_cache_drill_matches_the_formula() -> None:
    drill = drills.generate("kv_cache_bytes", random.Random(3))
    p = drill.params
    config = ModelConfig(**p["config"])
    assert drill.expected == formulas.kv_cache_bytes(config, p["seq_len"], p["batch"], p["dtype"])
    per_token = 2 * config.n_layers * config.n_kv_heads * config.head_dim * formulas.dtype_bytes(p["dtype"])
    by_hand = per_token * p["seq_len"] * p["batch"]
    assert drill.expected == by_hand
    assert f"{p['seq_len']:,}" in drill.prompt and str(config.n_kv_heads) in drill.prompt


def test_param_count_drill_matches_the_formula() -> None:
    drill = drills.generate("param_count", random.Random(4))
    assert drill.expected == formulas.param_count(ModelConfig(**drill.params["config"]))
    assert str(drill.params["config"]["d_ff"]) in drill.prompt


def test_attention_flops_drill_matches_the_formula() -> None:
    drill = drills.generate("attention_flops", random.Random(5))
    p = drill.params
    assert drill.expected == formulas.attention_flops(ModelConfig(**p["config"]), p["seq_len"], causal=True)


def test_bandwidth_drill_matches_the_formula() -> None:
    drill = drills.generate("bandwidth_tokens_per_s", random.Random(6))
    p = drill.params
    expected = formulas.bandwidth_bound_tokens_per_s(ModelConfig(**p["config"]), p["bandwidth"], p["dtype"],
                                                     p["context_len"], p["batch"])
    assert drill.expected == pytest.approx(expected, rel=0)
    # The prompt gives the parameter count, so the taker need not recompute it.
    assert f"{formulas.param_count(ModelConfig(**p['config'])):,}" in drill.prompt


def test_every_device_in_a_prompt_states_the_bandwidth_the_answer_uses() -> None:
    # "an RTX 4090 (1.0 TB/s)" with 1.008 TB/s in the key put an exact working 0.8% off the shown answer.
    import re

    units = {"GB/s": 1e9, "TB/s": 1e12}
    for label, bandwidth in drills._BANDWIDTHS.items():
        number, unit = re.search(r"\(([\d,.]+) ([GT]B/s)\)", label).groups()
        assert float(number.replace(",", "")) * units[unit] == pytest.approx(bandwidth, rel=1e-12), label


def test_draws_differ_between_attempts() -> None:
    rng = random.Random(11)
    params = {json.dumps(drills.generate("kv_cache_bytes", rng).params, sort_keys=True) for _ in range(10)}
    assert len(params) > 5


def test_unknown_kind_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match="kv_cache_bytes"):
        drills.generate("flops_per_watt", random.Random(0))
