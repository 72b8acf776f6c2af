"""Reading exercise folders: every format problem is reported as ``path: field: sentence``."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from questions.bank_loader import load_bank
from questions.exercises.catalogue import (
    EXERCISES_DIR,
    ExerciseFormatError,
    all_exercises,
    get_exercise,
    load_exercise,
)

SOURCE = EXERCISES_DIR / "stable-softmax"
REFS = {"question_slugs": {"softmax-in-attention", "flash-attention-nan-debugging"},
        "demo_names": {"attention_scaling"}, "topics": {"attention-and-masking"}}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A copy of a real exercise that a test may break."""
    target = tmp_path / "exercises" / "stable-softmax"
    shutil.copytree(SOURCE, target)
    return target


def edit_front(folder: Path, **changes) -> None:
    text = (folder / "exercise.md").read_text()
    _, front, body = text.split("---\n", 2)
    data = yaml.safe_load(front)
    for key, value in changes.items():
        if value is None:
            data.pop(key)
        else:
            data[key] = value
    (folder / "exercise.md").write_text(f"---\n{yaml.safe_dump(data, sort_keys=False)}---\n{body}")


def problems(folder: Path) -> str:
    with pytest.raises(ExerciseFormatError) as caught:
        load_exercise(folder, **REFS)
    return str(caught.value)


def test_a_valid_folder_loads_with_its_parts(folder: Path) -> None:
    spec = load_exercise(folder, **REFS)
    assert spec.slug == "stable-softmax" and spec.function == "softmax"
    assert spec.tolerance["float32"] == (1e-5, 1e-4) and spec.tolerance["bfloat16"] == (1e-2, 1e-2)
    assert "## Walkthrough" not in spec.statement_md and spec.walkthrough_md
    assert "raise NotImplementedError" in spec.starter and "def softmax" in spec.reference
    assert {w.file for w in spec.wrong} == {"no_max_subtraction.py", "global_max.py", "always_last_dim.py"}
    assert all(w.source and w.fails and w.mistake for w in spec.wrong)


def test_unknown_questions_demos_and_topics_are_named(folder: Path) -> None:
    edit_front(folder, practises=["no-such-question"], demos=["no_such_demo"], topic="no-topic")
    text = problems(folder)
    md = folder / "exercise.md"
    assert f"{md}: practises[1]: 'no-such-question' is not the slug of a question in the bank" in text
    assert f"{md}: demos[1]: 'no_such_demo' is not a demo of the engine's registry" in text
    assert f"{md}: topic: 'no-topic' is not a topic of questions/bank/topics.yaml" in text


def test_slug_hints_wrong_and_tolerance_rules(folder: Path) -> None:
    edit_front(folder, slug="other", hints=["only one"], tolerance={"float32": [1e-5], "int8": [0, 0]},
               wrong=[{"file": "global_max.py", "mistake": "m", "fails": ["slices-far-apart"]}], extra="x")
    text = problems(folder)
    assert "slug: must equal the folder name 'stable-softmax', got 'other'" in text
    assert "hints: must list at least 2 hints" in text
    assert "wrong: must list at least 2 wrong solutions" in text
    assert "tolerance.float32: must be [atol, rtol], two numbers >= 0" in text
    assert "tolerance.int8: must be one of float32, float64, float16, bfloat16" in text
    assert "extra: is not a key of the exercise format" in text


def test_wrong_files_must_exist_and_every_file_must_be_listed(folder: Path) -> None:
    edit_front(folder, wrong=[{"file": "missing.py", "mistake": "m", "fails": ["x"]},
                              {"file": "global_max.py", "mistake": "m", "fails": []}])
    text = problems(folder)
    assert f"wrong[1].file: {folder / 'wrong' / 'missing.py'} does not exist" in text
    assert "wrong[2].fails: must list the case names" in text
    assert f"{folder / 'wrong' / 'always_last_dim.py'}: wrong: is not listed under 'wrong'" in text


def test_solutions_must_define_the_function_and_never_import_the_engine(folder: Path) -> None:
    (folder / "reference.py").write_text("from engine.core.attention import attention\n\ndef other(x):\n    return x\n")
    text = problems(folder)
    assert f"{folder / 'reference.py'}: function: must define softmax() at the top level" in text
    assert f"{folder / 'reference.py'}:1: imports: must not import engine.core.attention" in text


def test_missing_files_and_walkthrough(folder: Path) -> None:
    md = folder / "exercise.md"
    md.write_text(md.read_text().replace("## Walkthrough", "## Notes"))
    assert f"{md}: walkthrough: the body must end with a '## Walkthrough' section" in problems(folder)
    (folder / "cases.py").unlink()
    assert problems(folder) == f"{folder / 'cases.py'}: file: is required in every exercise folder"


def test_the_catalogue_lists_the_real_exercises_and_refuses_unknown_slugs() -> None:
    exercises = all_exercises()
    assert {"stable-softmax", "causal-attention", "flash-attention"} <= set(exercises)
    assert get_exercise("causal-attention").function == "attention"
    with pytest.raises(KeyError, match="slug: there is no exercise called 'nope'"):
        get_exercise("nope")
    with pytest.raises(KeyError):
        get_exercise("../stable-softmax")


def test_a_broken_folder_hides_only_itself_when_not_strict(folder: Path) -> None:
    shutil.copytree(EXERCISES_DIR / "causal-attention", folder.parent / "causal-attention")
    edit_front(folder, hints=[])
    with pytest.raises(ExerciseFormatError):
        all_exercises(folder.parent)
    assert set(all_exercises(folder.parent, strict=False)) == {"causal-attention"}


@pytest.mark.django_db
def test_the_bank_loader_skips_the_exercises_folder(bank, folder: Path) -> None:
    bank.write("kv-basics")
    shutil.copytree(folder.parent, bank.root / "exercises")
    (bank.root / "exercises" / "stray.md").write_text("---\nslug: stray\n---\n")  # would be an error in a topic folder
    report = load_bank(bank.root)
    assert report.ok, report.errors
    assert report.created == ["kv-basics"]
