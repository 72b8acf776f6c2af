"""The prefix_sharing demo: the cache saves prompt compute and blocks without changing outputs.

The batcher prefills at most 256 prompt tokens per iteration, so with a 256-token prefix the
first request fills the first iteration alone and the others are admitted after its blocks are
cached.
"""
from __future__ import annotations

from engine.demos import run_demo


def test_shared_prefix_is_computed_once_and_outputs_do_not_change(demo_contract):
    params = {"n_requests": 4, "prefix_tokens": 256, "question_tokens": 4, "max_new_tokens": 2, "block_size": 16}
    result = run_demo("prefix_sharing", params)
    demo_contract(result)
    rows = {row[0]: row[1:] for row in result["table"]["rows"]}
    off, on = rows["prompt tokens computed"]
    assert off == 4 * 260
    assert rows["prompt tokens read from the cache"][1] == 3 * 256  # every later request reuses the 16 full blocks
    assert on == off - 3 * 256
    assert rows["peak KV blocks in use"][1] < rows["peak KV blocks in use"][0]
    assert next(m["value"] for m in result["metrics"] if m["name"] == "outputs identical") == "yes"


def test_only_full_blocks_are_shared():
    result = run_demo("prefix_sharing", {"n_requests": 2, "prefix_tokens": 264, "question_tokens": 3, "max_new_tokens": 1, "block_size": 16})
    assert result["charts"][0]["series"][1]["y"] == [0, 256]  # 16 full blocks of the 264-token prefix


def test_requests_admitted_together_cannot_share_what_is_not_computed_yet():
    result = run_demo("prefix_sharing", {"n_requests": 2, "prefix_tokens": 32, "question_tokens": 2, "max_new_tokens": 1})
    assert result["charts"][0]["series"][1]["y"] == [0, 0]


def test_parallel_samples_share_blocks_and_copy_only_the_partial_one():
    result = run_demo("prefix_sharing", {"n_requests": 2, "prefix_tokens": 20, "question_tokens": 2, "max_new_tokens": 3, "samples": 3})
    metrics = {m["name"]: m["value"] for m in result["metrics"]}
    # A 22-token prompt in 16-token blocks: one full block shared by all, the partial one copied by 2 of 3 samples.
    assert metrics["3 parallel samples: copies on write"] == 2
    assert metrics["3 parallel samples: peak KV blocks"] == 1 + 3
