"""The paged_vs_contiguous demo: paged waste stays under one block per request, contiguous wastes most."""
from __future__ import annotations

import pytest

from engine.demos import DemoParamError, run_demo
from engine.demos.paged_vs_contiguous import BLOCK_SIZES


def metric(result, prefix):
    return next(m["value"] for m in result["metrics"] if m["name"].startswith(prefix))


def test_paged_wastes_far_less_than_contiguous(demo_contract):
    result = run_demo("paged_vs_contiguous", {"n_requests": 8, "max_output": 64, "block_size": 8})
    demo_contract(result)
    assert metric(result, "paged:") < 10
    assert metric(result, "contiguous:") > 40
    tokens, paged, contiguous = (s["y"] for s in result["charts"][0]["series"])
    assert all(t <= p <= c for t, p, c in zip(tokens, paged, contiguous))
    assert all(p - t < 8 * 8 for t, p in zip(tokens, paged))  # under one block per live request


def test_waste_grows_with_block_size_and_one_token_blocks_waste_nothing(demo_contract):
    result = run_demo("paged_vs_contiguous", {"n_requests": 4, "max_output": 32})
    waste = [row[1] for row in result["table"]["rows"]]
    assert [row[0] for row in result["table"]["rows"]] == list(BLOCK_SIZES)
    assert waste[0] == 0 and waste == sorted(waste)


def test_longer_sequences_waste_a_smaller_share_of_their_blocks():
    # Paged waste is about half a block per live sequence, so it shrinks as sequences grow.
    short = run_demo("paged_vs_contiguous", {"n_requests": 8, "max_prompt": 32, "max_output": 64})
    long = run_demo("paged_vs_contiguous", {"n_requests": 8, "max_prompt": 512, "max_output": 512})
    assert metric(long, "paged:") < metric(short, "paged:")
    assert metric(long, "paged:") < 4


def test_block_size_is_bounded():
    with pytest.raises(DemoParamError, match="block_size: must be between 1 and 128"):
        run_demo("paged_vs_contiguous", {"block_size": 0})
