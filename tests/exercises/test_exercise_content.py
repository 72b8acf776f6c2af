"""Every exercise of the bank, checked the way issue 13 asks: the format, the reference, the wrong solutions.

Parametrised by folder (and by wrong-solution file), so a new exercise is checked the moment it lands.
Grading here takes the local path (in-process; a forked child for memory-capped cases): the
same harness and comparison as the sandbox, without its start-up cost. ``test_exercise_sandbox.py``
covers the sandbox path itself.

The reference passing every case is also the check that the oracle agrees with the reference: each
case compares the reference's output with ``expected(case)`` at the exercise's tolerance.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from questions.exercises.catalogue import EXERCISES_DIR, exercise_folders, load_exercise
from questions.exercises.grading import LOCAL, grade
from questions.exercises.grading.exercise_cases import build_cases, case_problems, cases_module
from sandbox.jobs.sweep import VALIDATION_SEEDS

FOLDERS = exercise_folders(EXERCISES_DIR)
WRONG = [(folder, path.name) for folder in FOLDERS for path in sorted((folder / "wrong").glob("*.py"))]
SEEDS = VALIDATION_SEEDS  # the seeds an admin edit is validated on (authoring/validate.py): one rule for both


def test_the_bank_has_exercises() -> None:
    assert len(FOLDERS) >= 3, f"expected the exercises of issue 13 under {EXERCISES_DIR}"


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda f: f.name)
def test_the_folder_follows_the_format(folder: Path) -> None:
    spec = load_exercise(folder)  # raises ExerciseFormatError listing every problem
    for seed in SEEDS:
        assert case_problems(spec, cases_module(spec).cases(seed)) == []


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda f: f.name)
def test_the_same_seed_makes_the_same_cases(folder: Path) -> None:
    spec = load_exercise(folder)
    first, again = build_cases(spec, 7), build_cases(spec, 7)
    assert [c.name for c in first] == [c.name for c in again]
    for one, two in zip(first, again):
        assert _same(one.args, two.args) and _same(one.kwargs, two.kwargs), f"{one.name} differs between two runs of seed 7"


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("folder", FOLDERS, ids=lambda f: f.name)
def test_the_reference_passes_every_case(folder: Path, seed: int) -> None:
    spec = load_exercise(folder)
    verdict = grade(spec, spec.reference, seed=seed, sandbox=LOCAL)
    assert verdict.passed, _failures(verdict)


@pytest.mark.parametrize(("folder", "wrong_file"), WRONG, ids=[f"{f.name}/{w}" for f, w in WRONG])
def test_a_wrong_solution_fails_where_it_says(folder: Path, wrong_file: str) -> None:
    spec = load_exercise(folder)
    solution = next(s for s in spec.wrong if s.file == wrong_file)
    verdict = grade(spec, solution.source, seed=0, sandbox=LOCAL)
    failed = {test.name for test in verdict.failed}
    assert not verdict.passed, f"{wrong_file} ({solution.mistake}) passes every case: the cases cannot catch it"
    assert failed & set(solution.fails), (
        f"{wrong_file} should fail one of {list(solution.fails)} but failed {sorted(failed)}:\n{_failures(verdict)}"
    )
    for test in verdict.failed:
        assert test.message, f"{test.name} failed without a message"


def _failures(verdict) -> str:
    lines = [f"{verdict.summary()}"]
    lines += [f"  {t.name}: {t.message}\n{t.traceback}" for t in verdict.failed]
    return "\n".join(lines)


def _same(a, b) -> bool:
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and a.dtype == b.dtype and torch.equal(a, b) if not a.is_floating_point() \
            else isinstance(b, torch.Tensor) and a.dtype == b.dtype and a.shape == b.shape and torch.allclose(a, b, equal_nan=True, rtol=0, atol=0)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return a == b
