"""An exercise's ``cases.py`` on the worker: import it, build its cases, check them against the format.

The module is trusted bank content (reviewed like any code of the project) and never enters the sandbox.
"""
from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

from questions.exercises.cases import Case
from questions.exercises.catalogue import ExerciseFormatError, ExerciseSpec

MIN_VISIBLE = 2
MIN_HIDDEN = 4

_modules: dict[str, tuple[float, ModuleType]] = {}


def cases_module(spec: ExerciseSpec) -> ModuleType:
    """The exercise's cases.py as a module (re-imported when the file changes)."""
    path = spec.cases_path
    mtime = path.stat().st_mtime
    cached = _modules.get(str(path))
    if cached and cached[0] == mtime:
        return cached[1]
    name = f"_exercise_cases_{spec.slug.replace('-', '_')}"
    loader_spec = importlib.util.spec_from_file_location(name, path)
    assert loader_spec is not None and loader_spec.loader is not None
    module = importlib.util.module_from_spec(loader_spec)
    sys.modules[name] = module  # dataclasses defined in cases.py look their module up here
    loader_spec.loader.exec_module(module)
    for needed in ("cases", "expected"):
        if not callable(getattr(module, needed, None)):
            raise ExerciseFormatError([f"{path}: {needed}: cases.py must define {needed}()"])
    _modules[str(path)] = (mtime, module)
    return module


def build_cases(spec: ExerciseSpec, seed: int) -> list[Case]:
    built = cases_module(spec).cases(seed)
    problems = case_problems(spec, built)
    if problems:
        raise ExerciseFormatError(problems)
    return built


def case_problems(spec: ExerciseSpec, built: list[Case]) -> list[str]:
    """What is wrong with the cases one seed produced (the format's rules on counts, names, the large case)."""
    path = spec.cases_path
    if not isinstance(built, list) or not all(isinstance(case, Case) for case in built):
        return [f"{path}: cases: cases(seed) must return a list of Case"]
    problems = []
    names = [case.name for case in built]
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"{path}: cases: the name {name!r} is used more than once")
    visible = sum(case.visible for case in built)
    if visible < MIN_VISIBLE:
        problems.append(f"{path}: cases: needs at least {MIN_VISIBLE} visible cases, has {visible}")
    if len(built) - visible < MIN_HIDDEN:
        problems.append(f"{path}: cases: needs at least {MIN_HIDDEN} hidden cases, has {len(built) - visible}")
    large = [case.name for case in built if case.is_large]
    if len(large) != 1:
        problems.append(f"{path}: cases: needs exactly one case named large-… (the grader times it against the engine), "
                        f"has {len(large)}{': ' + ', '.join(large) if large else ''}")
    for case in built:
        if not isinstance(case.args, tuple) or not isinstance(case.kwargs, dict):
            problems.append(f"{path}: {case.name}: args must be a tuple and kwargs a dict")
        if not case.explain.strip():
            problems.append(f"{path}: {case.name}: explain: one sentence on what the case checks is required")
    for solution in spec.wrong:
        for name in solution.fails:
            if name not in names:
                problems.append(f"{spec.folder / 'exercise.md'}: wrong: {solution.file} names the case {name!r}, "
                                "which cases.py does not make")
    return problems
