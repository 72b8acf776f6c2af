"""The grader's messages for bad submissions, on the local path (the harness in-process).

The sandbox path runs the same harness; ``test_exercise_sandbox.py`` checks what only it can do.
"""
from __future__ import annotations

import json

import pytest

from questions.exercises.catalogue import get_exercise
from questions.exercises.grading import LOCAL, grade


@pytest.fixture(scope="module")
def softmax():
    return get_exercise("stable-softmax")


def test_a_missing_function_is_named(softmax) -> None:
    verdict = grade(softmax, "import torch\n\ndef soft_max(x, dim=-1):\n    return x\n", mode="check", sandbox=LOCAL)
    assert not verdict.passed
    assert verdict.error == "your code does not define the function softmax() (it defines soft_max())"
    assert all(test.message.startswith("Not run: your code does not define the function softmax()") for test in verdict.tests)


def test_importing_the_engine_is_refused_with_a_sentence(softmax) -> None:
    source = "from engine.core.attention import attention\n\ndef softmax(x, dim=-1):\n    return x\n"
    verdict = grade(softmax, source, mode="check", sandbox=LOCAL)
    assert not verdict.passed
    assert verdict.error.startswith("ImportError: exercises are graded against the engine: import torch and write it yourself")
    assert 'File "submission.py", line 1, in <module>' in verdict.tests[0].traceback


def test_an_exception_keeps_only_the_visitors_frames(softmax) -> None:
    source = "def helper(x):\n    return x.no_such_method()\n\ndef softmax(x, dim=-1):\n    return helper(x)\n"
    verdict = grade(softmax, source, mode="check", sandbox=LOCAL)
    test = verdict.tests[0]
    assert test.message.startswith("Your function raised AttributeError: 'Tensor' object has no attribute 'no_such_method'")
    assert "This case checks:" in test.message
    assert 'File "submission.py", line 5, in softmax' in test.traceback
    assert 'File "submission.py", line 2, in helper' in test.traceback
    assert "harness.py" not in test.traceback and "grading" not in test.traceback


def test_an_output_that_is_not_plain_data_is_named(softmax) -> None:
    source = "import torch\n\ndef softmax(x, dim=-1):\n    return torch.softmax(x, dim).numpy()\n"
    verdict = grade(softmax, source, mode="check", sandbox=LOCAL)
    assert "output is a numpy.ndarray; return torch tensors, numbers, strings" in verdict.tests[0].message


def test_check_runs_the_visible_cases_and_submit_every_case(softmax) -> None:
    check = grade(softmax, softmax.reference, mode="check", sandbox=LOCAL)
    assert check.passed and check.mode == "check" and check.seed == 0
    assert [t.name for t in check.tests] == ["one-row", "columns-dim-0"] and all(t.visible for t in check.tests)
    assert check.timing is None


def test_the_verdict_json_has_the_contracts_keys_and_the_printed_output(softmax) -> None:
    source = softmax.reference + "\nprint('hello from the submission')\n"
    data = grade(softmax, source, mode="submit", seed=5, sandbox=LOCAL).as_dict()
    assert {"slug", "passed", "mode", "seed", "tests", "timing", "error", "output"} <= set(data)
    assert data["slug"] == "stable-softmax" and data["passed"] is True and data["seed"] == 5
    assert data["output"] == "hello from the submission\n"
    test = data["tests"][0]
    assert {"name", "passed", "message", "visible", "shapes", "max_abs_error", "tolerance", "first_mismatch",
            "traceback", "seconds"} <= set(test)
    assert data["tests"][1]["shapes"] == ["[3, 2] float32", "dim=0"]
    timing = data["timing"]
    assert timing["case"] == "large-attention-rows" and timing["submission_s"] > 0 and timing["engine_s"] > 0


def test_a_wrong_dtype_says_expected_and_got(softmax) -> None:
    source = softmax.reference + "\n_inner = softmax\n\ndef softmax(x, dim=-1):\n    return _inner(x, dim).double()\n"
    verdict = grade(softmax, source, mode="check", sandbox=LOCAL)
    assert verdict.tests[0].message.startswith("output: wrong dtype: expected float32, got float64.")


def test_a_submission_cannot_change_the_inputs_the_oracle_sees(softmax) -> None:
    # In place on its own copy: the oracle still computes from the original inputs.
    source = "import torch\n\ndef softmax(x, dim=-1):\n    x.zero_()\n    return torch.softmax(x, dim)\n"
    verdict = grade(softmax, source, mode="check", sandbox=LOCAL)
    assert not verdict.tests[0].passed


def test_nul_characters_never_reach_the_json(softmax) -> None:
    source = "def softmax(x, dim=-1):\n    print('a\\x00b')\n    raise ValueError('bad\\x00value')\n"
    data = grade(softmax, source, mode="check", sandbox=LOCAL).as_dict()
    assert data["output"].startswith("ab\n")
    assert "Your function raised ValueError: badvalue" in data["tests"][0]["message"]
    assert "\\u0000" not in json.dumps(data)


def test_a_syntax_error_points_at_the_line(softmax) -> None:
    verdict = grade(softmax, "import torch\n\ndef softmax(x, dim=-1)\n    return x\n", mode="check", sandbox=LOCAL)
    assert verdict.error.startswith("SyntaxError: expected ':' (submission.py, line 3)")
    assert "def softmax(x, dim=-1)" in verdict.tests[0].traceback
