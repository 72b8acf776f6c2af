"""The continuous_batching demo: same outputs, and requests no longer wait for a whole batch."""
from __future__ import annotations

import pytest

from engine.demos import DemoParamError, run_demo


def test_continuous_batching_matches_static_outputs_and_cuts_waiting(demo_contract):
    result = run_demo("continuous_batching", {"n_requests": 6, "max_output": 32, "static_batch": 2})
    demo_contract(result)
    assert "identical: True" in " ".join(result["notes"])
    rows = {row[0]: row[1:] for row in result["table"]["rows"]}
    static_ttft, continuous_ttft = rows["median TTFT (ms)"]
    assert continuous_ttft < static_ttft  # later static groups wait for earlier ones to finish entirely
    static_series, continuous_series = result["charts"][0]["series"]
    assert static_series["x"] == continuous_series["x"] == sorted(static_series["x"])


def test_static_batch_is_bounded():
    with pytest.raises(DemoParamError, match="static_batch: must be between 1 and 32"):
        run_demo("continuous_batching", {"static_batch": 33})
