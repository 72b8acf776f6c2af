"""Output with NUL characters is saved without them, and the count is recorded (finding 7).

PostgreSQL refuses NUL in text and ``\\u0000`` in jsonb: before, ``Run.finish`` raised
DataError, the run stayed ``running`` until its lease expired, ran again and failed as
"stopped responding 2 times". These tests run on SQLite in the ordinary pass and on
PostgreSQL in ``make test``'s database pass (DATABASE_URL pointing at a throwaway cluster).
"""

from __future__ import annotations

import pytest
from django.db import connection
from run_factories import make_run
from sandbox_backends import require_any

from sandbox.jobs.execution import execute
from sandbox.jobs.models import strip_nul
from sandbox.models import Run

pytestmark = pytest.mark.django_db


def test_strip_nul_cleans_nested_values_and_counts():
    value = {"out\x00": ["a\x00b", {"c": "\x00\x00"}], "n": 3}
    assert strip_nul(value) == ({"out": ["ab", {"c": ""}], "n": 3}, 4)


def test_finishing_with_nul_in_result_error_and_logs_saves_and_records_the_count():
    run = make_run("fixture_chart", Run.State.RUNNING)
    saved = run.finish(
        run.attempts,
        Run.State.FAILED,
        result={"output": "partial\x00output", "notes": ["x\x00"]},
        error="The program exited with status 1.\x00",
        logs="line\x00",
    )
    assert saved, f"finish refused on {connection.vendor}"
    run.refresh_from_db()
    assert run.state == Run.State.FAILED and run.lease_expires_at is None
    assert run.result["output"] == "partialoutput" and run.result["notes"] == ["x"]
    assert run.result["nul_characters_removed"] == 4
    assert run.error == "The program exited with status 1."
    assert "4 NUL character(s) removed from the output before saving." in run.logs


def test_a_code_run_that_prints_nul_bytes_succeeds_with_them_removed():
    require_any()
    run = make_run("", kind=Run.Kind.CODE, code="import sys\nsys.stdout.write('a\\0b\\0c\\n')\n")
    assert execute(str(run.pk)) == Run.State.SUCCEEDED
    run.refresh_from_db()
    assert run.result["output"] == "abc\n" and run.result["nul_characters_removed"] == 2


def test_progress_messages_with_nul_are_saved_without_it():
    from sandbox.jobs.lease import Lease

    run = make_run("fixture_chart", Run.State.RUNNING)
    lease = Lease(run, 60)
    lease.progress(50, "half\x00way")
    run.refresh_from_db()
    assert run.progress_message == "halfway"
