"""manage.py warm_demos queues a default run for each linked demo that has no measurement yet."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from run_factories import succeeded

from sandbox.models import Run

pytestmark = pytest.mark.django_db


def test_it_queues_linked_demos_without_a_result_and_skips_the_rest(make_question, no_broker, capsys):
    make_question("a", demos=["fixture_chart", "fixture_slow"])
    make_question("b", demos=["fixture_chart", "not_a_demo"])
    succeeded("fixture_slow", params={"seconds": 0.2, "tag": ""})
    call_command("warm_demos")
    captured = capsys.readouterr()
    assert "warm_demos: 1 queued, 1 already measured, 3 linked demos" in captured.out
    assert "skipping 'not_a_demo'" in captured.err
    queued = Run.objects.get(state=Run.State.QUEUED)
    assert queued.demo == "fixture_chart" and queued.params == {"max_len": 1024, "label": "causal"}
    assert [message["args"] for message in no_broker] == [[str(queued.pk)]]


def test_running_it_twice_queues_nothing_new(make_question, no_broker):
    make_question("a", demos=["fixture_chart"])
    call_command("warm_demos")
    call_command("warm_demos")  # the first run is still queued: joined, not duplicated
    assert Run.objects.count() == 1
