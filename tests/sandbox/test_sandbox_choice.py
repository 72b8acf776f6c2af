"""Choosing a backend, and what a code run records about the one it got."""

from __future__ import annotations

import pytest
from run_factories import make_run
from sandbox_backends import require_any

from sandbox.jobs.execution import execute
from sandbox.models import Run
from sandbox.jail.runner import BubblewrapSandbox, RlimitSandbox, SandboxUnavailable, get_sandbox


def _force(monkeypatch, bubblewrap: bool, rlimit: bool) -> None:
    monkeypatch.setattr(BubblewrapSandbox, "available", classmethod(lambda cls: bubblewrap))
    monkeypatch.setattr(RlimitSandbox, "available", classmethod(lambda cls: rlimit))


def test_auto_prefers_bubblewrap(monkeypatch):
    _force(monkeypatch, True, True)
    assert isinstance(get_sandbox("auto"), BubblewrapSandbox)


def test_auto_falls_back_to_rlimits_only_when_bubblewrap_cannot_start(monkeypatch):
    _force(monkeypatch, False, True)
    assert get_sandbox("auto").mode == "rlimit-only"


def test_no_backend_gives_a_clear_error(monkeypatch):
    _force(monkeypatch, False, False)
    with pytest.raises(SandboxUnavailable, match="Install bubblewrap"):
        get_sandbox("auto")


def test_a_misspelt_backend_setting_is_refused():
    with pytest.raises(ValueError, match="SANDBOX_BACKEND must be auto, bubblewrap or rlimit"):
        get_sandbox("docker")


@pytest.mark.django_db
def test_a_code_run_records_its_output_and_sandbox_mode(monkeypatch, settings):
    require_any()
    run = make_run("", kind=Run.Kind.CODE, code="print(6 * 7)")
    assert execute(str(run.pk)) == Run.State.SUCCEEDED
    run.refresh_from_db()
    assert run.result["output"] == "42\n" and run.result["exit_code"] == 0
    assert run.environment["sandbox"] in ("bubblewrap", "rlimit-only")


@pytest.mark.django_db
def test_a_code_run_that_fails_says_why(settings):
    require_any()
    run = make_run("", kind=Run.Kind.CODE, code="raise SystemExit(4)")
    assert execute(str(run.pk)) == Run.State.FAILED
    assert Run.objects.get(pk=run.pk).error == "The program exited with status 4."


@pytest.mark.django_db
def test_a_worker_without_any_sandbox_fails_code_runs_visibly(monkeypatch):
    _force(monkeypatch, False, False)
    run = make_run("", kind=Run.Kind.CODE, code="print(1)")
    execute(str(run.pk))
    run.refresh_from_db()
    assert run.state == Run.State.FAILED and "Code runs are unavailable on this worker" in run.error


@pytest.mark.django_db
def test_cancelling_a_code_run_stops_its_process_within_seconds(monkeypatch):
    require_any()
    import time

    from sandbox.jobs import lease

    original = lease.Lease.__enter__

    def enter_then_cancel(self):
        Run.objects.filter(pk=self.run_id).update(cancel_requested=True)
        return original(self)

    monkeypatch.setattr(lease.Lease, "__enter__", enter_then_cancel)
    run = make_run("", kind=Run.Kind.CODE, code="import time\ntime.sleep(60)\n")
    started = time.monotonic()
    assert execute(str(run.pk)) == Run.State.CANCELLED
    assert time.monotonic() - started < 5


@pytest.mark.django_db
def test_a_run_the_sandbox_refuses_at_start_fails_with_the_reason_instead_of_hanging(monkeypatch):
    _force(monkeypatch, True, False)

    def busy(self, code, limits, should_stop=None, exchange=None):
        raise SandboxUnavailable("Every one of this worker's 1 sandbox slots is busy; try again in a moment.")

    monkeypatch.setattr(BubblewrapSandbox, "run", busy)
    run = make_run("", kind=Run.Kind.CODE, code="print(1)")
    assert execute(str(run.pk)) == Run.State.FAILED
    run.refresh_from_db()
    assert run.error.startswith("Every one of this worker's 1 sandbox slots is busy") and run.lease_expires_at is None
