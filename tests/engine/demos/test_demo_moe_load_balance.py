"""The moe_load_balance demo: the balancing loss evens out expert load on a skewed task."""
from __future__ import annotations

import pytest

from engine.demos import DemoParamError, run_demo


def test_balancing_loss_lowers_imbalance_and_drops(demo_contract):
    result = run_demo("moe_load_balance", {"steps": 150})
    demo_contract(result)
    rows = {row[0]: row[1:] for row in result["table"]["rows"]}
    off, on = rows["max / mean expert load (held-out batch)"]
    assert on < off
    dropped_off, dropped_on = rows["assignments dropped at capacity (%)"]
    assert dropped_on < dropped_off
    shares = result["charts"][0]["series"]
    assert all(sum(s["y"]) == pytest.approx(100, abs=0.1) for s in shares)


def test_aux_coef_is_bounded():
    with pytest.raises(DemoParamError, match="aux_coef: must be between 0.001 and 1"):
        run_demo("moe_load_balance", {"aux_coef": 0})
