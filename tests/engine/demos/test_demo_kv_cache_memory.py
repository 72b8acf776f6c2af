from __future__ import annotations

import pytest

from engine.demos import DemoParamError, get_demo, run_demo
from engine.formulas import kv_cache_bytes


def test_result_has_the_contract_shape_and_formula_numbers(demo_contract):
    result = run_demo("kv_cache_memory", {"seq_len": 4096, "batch": 2, "dtype": "float16"})
    demo_contract(result)
    rows = {row[0]: row for row in result["table"]["rows"]}
    assert rows["llama2-7b"][7] == kv_cache_bytes("llama2-7b", 4096, 2, "float16") == 4 * 2**30
    assert rows["llama2-7b"][5] == 524288  # bytes per token
    assert rows["llama2-70b if it were MHA"][7] == 8 * rows["llama2-70b"][7]


def test_mistral_window_caps_the_cache_past_4096_tokens():
    result = run_demo("kv_cache_memory", {"seq_len": 16384})
    rows = {row[0]: row for row in result["table"]["rows"]}
    assert rows["mistral-7b"][6] == 4096  # tokens held
    assert any("caps its cache" in note for note in result["notes"])


@pytest.mark.parametrize(
    "params,param",
    [({"seq_len": 0}, "seq_len"), ({"batch": 5000}, "batch"), ({"dtype": "int3"}, "dtype"), ({"tokens": 5}, "tokens")],
)
def test_bad_params_name_the_param(params, param):
    with pytest.raises(DemoParamError) as info:
        run_demo("kv_cache_memory", params)
    assert info.value.param == param


def test_is_a_cheap_cpu_demo():
    demo = get_demo("kv_cache_memory")
    assert demo.queue == "cpu" and not demo.uses_model
