"""Demo and code runs through HTTP, Redis and real Celery workers — including workers that die.

Marked ``integration``: each test starts real processes (see conftest.py). The
fixture demos come from tests/sandbox/demo_fixtures.py via ENGINE_EXTRA_DEMO_MODULES.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from integration_stack import wait_for

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def worker(stack):
    """One long-lived worker (both queues) for the tests that do not kill workers."""
    stack.start_worker("w1")
    yield stack
    if "w1" in stack.processes:
        stack.kill("w1")


def test_a_demo_run_is_measured_by_a_worker(worker):
    client = worker.client
    submitted = client.submit({"demo": "fixture_chart", "params": {"max_len": 256}})
    assert submitted["state"] == "queued" and submitted["broker_available"] is True
    final = client.wait_final([submitted["id"]], timeout=60)[submitted["id"]]
    assert final["state"] == "succeeded", final
    assert final["result"]["table"]["rows"][-1] == [256, 65536]
    assert "<svg" in final["result_html"]
    assert final["environment"]["worker"] and final["attempts"] == 1


def test_a_code_run_executes_in_the_sandbox(worker):
    client = worker.client
    submitted = client.submit({"code": "print(sum(range(10)))"})
    final = client.wait_final([submitted["id"]], timeout=60)[submitted["id"]]
    if final["state"] == "failed" and "unavailable on this worker" in (final["error"] or ""):
        pytest.skip(final["error"])
    assert final["state"] == "succeeded", final
    assert final["result"]["output"] == "45\n"
    assert final["environment"]["sandbox"] in ("bubblewrap", "rlimit-only")


def test_fifty_concurrent_submissions_each_end_exactly_once(worker):
    worker.start_worker("w2")
    try:
        tags = [f"burst-{i}" for i in range(50)]
        with ThreadPoolExecutor(max_workers=16) as pool:
            submitted = list(
                pool.map(
                    lambda tag: worker.client.submit({"demo": "fixture_slow", "params": {"seconds": 0, "tag": tag}}),
                    tags,
                )
            )
        ids = [run["id"] for run in submitted]
        assert len(set(ids)) == 50
        finals = worker.client.wait_final(ids, timeout=180)
        assert {run["state"] for run in finals.values()} == {"succeeded"}
        assert all(run["attempts"] == 1 for run in finals.values())
        counts = worker.completion_counts()
        assert [counts.get(tag, 0) for tag in tags] == [1] * 50
    finally:
        worker.kill("w2")


def test_a_worker_killed_mid_run_loses_nothing_and_finishes_nothing_twice(stack):
    """SIGKILL the worker (and its pool) during a slow demo, start a new one: every run ends once."""
    if "w1" in stack.processes:
        stack.kill("w1")
    stack.start_beat()  # the sweep, every 2 s (SANDBOX_SWEEP_EVERY)
    stack.start_worker("victim")
    tags = [f"crash-{i}" for i in range(3)]
    ids = [stack.client.submit({"demo": "fixture_slow", "params": {"seconds": 4, "tag": tag}})["id"] for tag in tags]
    wait_for(lambda: any(stack.client.status(i)["state"] == "running" and stack.client.status(i)["progress"] > 0 for i in ids),
             60, what="a run to be under way")  # fmt: skip
    stack.kill("victim")
    time.sleep(1)
    stack.start_worker("survivor")
    try:
        finals = stack.client.wait_final(ids, timeout=150)
    finally:
        print(stack.log_tail("survivor"), stack.log_tail("beat"))
    for run in finals.values():
        assert run["state"] in ("succeeded", "failed"), run
        if run["state"] == "failed":
            assert run["error"], run
    assert any(run["attempts"] == 2 for run in finals.values()), "the killed run should have been taken up again"
    counts = stack.completion_counts()
    assert all(counts.get(tag, 0) <= 1 for tag in tags), counts
    for tag, run_id in zip(tags, ids):
        if finals[run_id]["state"] == "succeeded":
            assert counts.get(tag) == 1
    stack.kill("survivor")
    stack.kill("beat")


def test_a_broker_outage_keeps_the_run_and_the_sweep_sends_it_later(stack):
    if not stack.redis.can_restart:
        pytest.skip("REDIS_URL points at a shared Redis; this test needs one it may stop")
    stack.redis.stop()
    try:
        status, body = stack.client.request(
            "POST", "/runs/api/runs/", {"demo": "fixture_chart", "params": {"max_len": 32}}
        )
    finally:
        stack.redis.start()
    assert status == 202, body
    assert body["broker_available"] is False and "unreachable" in body["message"]
    assert stack.client.status(body["id"])["state"] == "queued"
    stack.start_worker("after-outage")
    stack.manage("sweep_runs")  # what beat would do within SANDBOX_SWEEP_EVERY seconds
    try:
        final = stack.client.wait_final([body["id"]], timeout=60)[body["id"]]
    finally:
        stack.kill("after-outage")
    assert final["state"] == "succeeded"
