"""While a code run goes, the status API shows what it printed so far and how long it has been running."""

from __future__ import annotations

import pytest
from run_factories import make_run

from sandbox.jobs.execution import execute
from sandbox.models import Run

pytestmark = pytest.mark.django_db


def test_a_running_run_reports_its_output_so_far_and_elapsed_seconds(client):
    run = make_run(state=Run.State.RUNNING, live_output="step 1\n")  # a demo run: public, so no owner needed
    body = client.get(run.get_status_url()).json()
    assert body["live_output"] == "step 1\n"
    assert 4.0 <= body["elapsed_s"] < 60  # make_run started it five seconds ago


def test_a_finished_run_has_no_live_output_and_a_fixed_elapsed_time(client):
    run = make_run(state=Run.State.SUCCEEDED, result={"title": "done"})
    body = client.get(run.get_status_url()).json()
    assert body["live_output"] is None and body["elapsed_s"] == pytest.approx(5.0, abs=0.5)


def test_finishing_clears_the_live_output(client):
    run = make_run(kind=Run.Kind.CODE, state=Run.State.RUNNING, code="print(1)", live_output="partial")
    assert run.finish(run.attempts, Run.State.SUCCEEDED, result={"output": "all"})
    assert Run.objects.get(pk=run.pk).live_output == ""


def test_a_code_run_streams_its_output_to_the_lease(monkeypatch, settings):
    from sandbox.jail.runner import BubblewrapSandbox, RlimitSandbox
    from sandbox.jobs.lease import Lease

    if not BubblewrapSandbox.available() and not RlimitSandbox.available():
        pytest.skip("no code sandbox can start on this machine")
    streamed: list[str] = []
    original = Lease.stream_output

    def record(self, chunk: str) -> None:
        streamed.append(chunk)
        original(self, chunk)

    monkeypatch.setattr(Lease, "stream_output", record)
    run = make_run(kind=Run.Kind.CODE, code="for i in range(3):\n    print('line', i)\n")
    assert execute(str(run.pk)) == Run.State.SUCCEEDED
    assert "".join(streamed) == "line 0\nline 1\nline 2\n"
    assert Run.objects.get(pk=run.pk).result["output"] == "line 0\nline 1\nline 2\n"
