"""Grading through the real sandbox: what only the sandbox path can show.

The engine is not mounted (so not even a submission that removes the harness's import guard can
reach it), the limits stop loops and floods with their sentences, the memory allowance of a case
is real, and printed output streams while the child runs.
"""
from __future__ import annotations

import os

import pytest
from django.test import override_settings

from questions.exercises.catalogue import get_exercise
from questions.exercises.grading import grade
from sandbox.jail.runner import SandboxUnavailable, get_sandbox


@pytest.fixture(scope="module")
def sandbox():
    try:
        return get_sandbox("auto")
    except SandboxUnavailable as exc:
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(f"CI=true but no sandbox can start: {exc}")
        pytest.skip(str(exc))


@pytest.fixture(scope="module")
def softmax():
    return get_exercise("stable-softmax")


def test_the_reference_passes_and_its_output_streams(sandbox, softmax) -> None:
    heard: list[str] = []
    source = softmax.reference + "\nprint('loaded in the sandbox')\n"
    verdict = grade(softmax, source, mode="check", sandbox=sandbox, on_output=heard.append)
    assert verdict.passed, verdict.as_dict()
    assert verdict.output == "loaded in the sandbox\n" and "".join(heard) == verdict.output


def test_a_wrong_solution_fails_with_its_message(sandbox, softmax) -> None:
    wrong = next(s for s in softmax.wrong if s.file == "always_last_dim.py")
    verdict = grade(softmax, wrong.source, mode="check", sandbox=sandbox)
    failed = {t.name: t for t in verdict.failed}
    assert set(failed) == {"columns-dim-0"}
    assert failed["columns-dim-0"].first_mismatch == [0, 0]
    assert "This case checks: dim=0 normalises each column" in failed["columns-dim-0"].message


def test_the_engine_is_out_of_reach_even_without_the_import_guard(sandbox, softmax) -> None:
    source = (
        "import sys, importlib, builtins\n"
        "sys.meta_path[:] = [f for f in sys.meta_path if 'Block' not in type(f).__name__]\n"
        "__builtins__['__import__'] = builtins.__import__\n"
        "importlib.import_module('engine.core.attention')\n"
        "def softmax(x, dim=-1):\n    return x\n"
    )
    verdict = grade(softmax, source, mode="check", sandbox=sandbox)
    assert verdict.error == "ModuleNotFoundError: No module named 'engine'"
    plain = grade(softmax, "import engine\ndef softmax(x, dim=-1):\n    return x\n", mode="check", sandbox=sandbox)
    assert "exercises are graded against the engine: import torch and write it yourself" in plain.error


def test_a_missing_function_is_named(sandbox, softmax) -> None:
    verdict = grade(softmax, "x = 1\n", mode="check", sandbox=sandbox)
    assert verdict.error == "your code does not define the function softmax() (it defines no function)"


@override_settings(SANDBOX_CODE_TIMEOUT=20)
def test_an_infinite_loop_is_stopped_by_the_wall_clock(sandbox, softmax) -> None:
    verdict = grade(softmax, "def softmax(x, dim=-1):\n    while True:\n        pass\n", mode="check", sandbox=sandbox)
    assert verdict.error == "Stopped: the program ran longer than the 20 s wall-clock limit."
    first, second = verdict.tests
    assert first.message.startswith("Stopped: the program ran longer than the 20 s wall-clock limit. (while running this case)")
    assert second.message.startswith("Not run:")


def test_megabytes_of_output_are_cut_with_a_sentence(sandbox, softmax) -> None:
    source = "def softmax(x, dim=-1):\n    while True:\n        print('x' * 100000)\n"
    verdict = grade(softmax, source, mode="check", sandbox=sandbox)
    assert verdict.error == "Stopped: the program printed more than 64 KB of output."
    assert not verdict.passed and len(verdict.output) <= 64 * 1024


@override_settings(EXERCISE_RESULT_MB=1)
def test_a_huge_result_is_refused_before_it_is_read(sandbox, softmax) -> None:
    source = "import torch\ndef softmax(x, dim=-1):\n    return torch.zeros(1_000_000)\n"
    verdict = grade(softmax, source, mode="check", sandbox=sandbox)
    assert verdict.error == "Stopped: the program sent back more than 1 MB of results."
    assert not verdict.passed


def test_materialising_the_score_matrix_fails_on_memory(sandbox) -> None:
    flash = get_exercise("flash-attention")
    wrong = next(s for s in flash.wrong if s.file == "materialises_scores.py")
    verdict = grade(flash, wrong.source, seed=3, sandbox=sandbox)
    failed = {t.name: t for t in verdict.failed}
    assert set(failed) == {"large-no-score-matrix"}, verdict.as_dict()
    assert failed["large-no-score-matrix"].message.startswith(
        "Ran out of memory: this case allows 32 MB of extra memory. N = 4096: a materialised 4096x4096 score matrix "
        "needs 64 MB per head")


def test_a_cancelled_grade_says_so(sandbox, softmax) -> None:
    verdict = grade(softmax, softmax.reference, mode="check", sandbox=sandbox, should_stop=lambda: True)
    assert verdict.error == "Stopped: the run was cancelled." and not verdict.passed
