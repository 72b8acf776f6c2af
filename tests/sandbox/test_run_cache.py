"""The page shows the newest successful measurement of the same demo, parameters, engine and device."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from run_factories import make_run, succeeded

from engine.environment import ENGINE_VERSION
from sandbox.jobs.cache_keys import canonical_params, result_cache_key
from sandbox.models import Run

pytestmark = pytest.mark.django_db
DEFAULTS = {"max_len": 1024, "label": "causal"}


def test_canonical_params_ignore_key_order():
    assert canonical_params({"b": 1, "a": 2}) == canonical_params({"a": 2, "b": 1}) == '{"a":2,"b":1}'


def test_the_cache_key_depends_on_every_part():
    base = result_cache_key("d", {"a": 1}, "1", "cpu")
    assert base == result_cache_key("d", {"a": 1}, "1", "cpu")
    assert len({base, result_cache_key("e", {"a": 1}, "1", "cpu"), result_cache_key("d", {"a": 2}, "1", "cpu"),
                result_cache_key("d", {"a": 1}, "2", "cpu"), result_cache_key("d", {"a": 1}, "1", "cuda")}) == 5  # fmt: skip


def test_latest_result_is_the_newest_success_with_the_same_params():
    now = timezone.now()
    older = succeeded(finished_at=now - timedelta(minutes=5))
    newer = succeeded(finished_at=now - timedelta(minutes=1))
    make_run(state=Run.State.FAILED, finished_at=now)
    succeeded(params={"max_len": 64, "label": "causal"}, finished_at=now)
    succeeded(engine_version="0.0.1-old", finished_at=now)
    assert Run.objects.latest_result("fixture_chart", DEFAULTS, ENGINE_VERSION) == newer
    assert older != newer


def test_latest_result_can_ask_for_a_device():
    gpu = succeeded(device="cuda")
    cpu = succeeded(device="cpu", finished_at=timezone.now() - timedelta(hours=1))
    assert Run.objects.latest_result("fixture_chart", DEFAULTS, ENGINE_VERSION, device="cpu") == cpu
    assert Run.objects.latest_result("fixture_chart", DEFAULTS, ENGINE_VERSION) == gpu


def test_nothing_cached_means_none():
    assert Run.objects.latest_result("fixture_chart", DEFAULTS, ENGINE_VERSION) is None
