from __future__ import annotations

import pytest

from engine.demos import DemoParamError, run_demo

SMALL = {"n_heads": 4, "groups": 2, "head_dim": 16, "n_layers": 1, "context_len": 32, "batch": 1, "reps": 1}


def test_cache_bytes_shrink_with_kv_heads_exactly_as_the_formula_says(demo_contract):
    result = run_demo("mha_gqa_mqa", SMALL)
    demo_contract(result)
    rows = result["table"]["rows"]
    assert [row[1] for row in rows] == [4, 2, 1]
    assert all(row[2] == row[3] for row in rows)  # measured == formula
    assert rows[0][2] == 2 * rows[1][2] == 4 * rows[2][2]


@pytest.mark.parametrize("params,param", [({"groups": 3}, "groups"), ({"groups": 4, "n_heads": 4}, "groups"),
                                          ({"context_len": 10**6}, "context_len"), ({"n_heads": "eight"}, "n_heads")])
def test_bad_params_name_the_param(params, param):
    with pytest.raises(DemoParamError) as info:
        run_demo("mha_gqa_mqa", {**SMALL, **params})
    assert info.value.param == param
