"""manage.py grade_exercise: exit 0 passed, 1 failed, 2 bad input with a one-line error; --json's shape."""
from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings

from questions.exercises.catalogue import EXERCISES_DIR

SOFTMAX = EXERCISES_DIR / "stable-softmax"


def grade_exercise(*args: str) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of the command."""
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("grade_exercise", *args, stdout=out, stderr=err)
    return exited.value.code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(("args", "error"), [
    (("no-such-exercise", str(SOFTMAX / "reference.py")), "slug: there is no exercise called 'no-such-exercise'"),
    (("stable-softmax", "/no/such/file.py"), "file: cannot read /no/such/file.py: No such file or directory"),
])
def test_bad_input_exits_2_with_one_line(args, error) -> None:
    status, out, err = grade_exercise(*args)
    assert (status, out, err.strip()) == (2, "", error)


@override_settings(SANDBOX_CODE_MAX_CHARS=20_000)
def test_an_oversize_submission_is_bad_input(tmp_path: Path) -> None:
    big = tmp_path / "big.py"
    big.write_text("#" * 30_000 + "\n")
    status, _, err = grade_exercise("stable-softmax", str(big))
    assert status == 2
    assert err.strip() == f"file: {big} has 30001 characters; a submission may have at most 20000"


def test_json_verdicts_and_exit_status_through_the_sandbox() -> None:
    status, out, err = grade_exercise("stable-softmax", str(SOFTMAX / "reference.py"), "--json", "--check")
    if err.startswith("sandbox:"):
        pytest.skip(err.strip())
    assert status == 0, err
    data = json.loads(out)
    assert data["slug"] == "stable-softmax" and data["passed"] is True
    assert [(t["name"], t["passed"]) for t in data["tests"]] == [("one-row", True), ("columns-dim-0", True)]
    assert all(isinstance(t["message"], str) and t["message"] for t in data["tests"])

    status, out, _ = grade_exercise("stable-softmax", str(SOFTMAX / "wrong" / "always_last_dim.py"), "--check", "--seed", "4")
    assert status == 1
    assert "FAIL columns-dim-0: output: values differ" in out
    assert out.strip().endswith("stable-softmax: failed (1/2 tests, seed 4)")
