"""An exercise as the authoring form holds it (``Draft``), as a folder of text (``files``), and back.

The folder is the bank's format (``questions/bank/exercises/README.md``), so there is one validator:
a draft is written to a temporary folder and read by ``catalogue.load_exercise``, whose problems
(``path: field: sentence``) are turned into messages on the form field they concern. The same files
are what a revision stores, what the worker materialises for the grader and what ``export_bank``
writes back to the bank.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings

from questions.bank_export import _BankDumper
from questions.bank_parser import FRONT_MATTER_FENCE
from questions.exercises.catalogue import (
    DEFAULT_TOLERANCE,
    EXERCISE_FILE,
    WALKTHROUGH_HEADING,
    ExerciseFormatError,
    ExerciseSpec,
    load_exercise,
)


@dataclass
class WrongDraft:
    name: str  # the file is wrong/<name>.py
    mistake: str
    fails: list[str]
    source: str


@dataclass
class Draft:
    slug: str
    title: str
    topic: str
    difficulty: str
    function: str
    signature: str
    statement_md: str
    walkthrough_md: str
    hints: list[str]
    starter: str
    reference: str
    cases: str
    practises: list[str]
    demos: list[str]
    # Only the dtypes whose [atol, rtol] differ from the format's defaults (the file leaves the rest out).
    tolerance: dict[str, tuple[float, float]] = field(default_factory=dict)
    wrong: list[WrongDraft] = field(default_factory=list)


class _Anything(frozenset):
    """Contains everything: reading a stored folder back into a form checks no references (the save does)."""

    def __contains__(self, item: object) -> bool:
        return True


ANYTHING: Any = _Anything()


def _text(value: str) -> str:
    """Text as a file holds it: admin textareas send CRLF and trailing blanks."""
    return value.replace("\r\n", "\n").strip()


def _code(value: str) -> str:
    text = _text(value)
    return text + "\n" if text else ""


def draft_files(draft: Draft) -> dict[str, str]:
    """The exercise folder for ``draft``: relative path → text."""
    front: dict[str, Any] = {
        "slug": draft.slug, "title": _text(draft.title), "topic": draft.topic, "difficulty": draft.difficulty,
        "function": draft.function, "signature": _text(draft.signature), "practises": list(draft.practises),
        "demos": list(draft.demos),
    }
    if draft.tolerance:
        front["tolerance"] = {dtype: [float(a), float(r)] for dtype, (a, r) in draft.tolerance.items()}
    front["hints"] = [_text(hint) for hint in draft.hints]
    front["wrong"] = [
        {"file": f"{wrong.name}.py", "mistake": _text(wrong.mistake), "fails": list(wrong.fails)} for wrong in draft.wrong
    ]
    yaml_text = yaml.dump(front, Dumper=_BankDumper, sort_keys=False, allow_unicode=True, width=120,
                          default_flow_style=False)
    body = f"{_text(draft.statement_md)}\n\n{WALKTHROUGH_HEADING}\n\n{_text(draft.walkthrough_md)}\n"
    files = {
        EXERCISE_FILE: f"{FRONT_MATTER_FENCE}\n{yaml_text}{FRONT_MATTER_FENCE}\n{body}",
        "starter.py": _code(draft.starter),
        "reference.py": _code(draft.reference),
        "cases.py": _code(draft.cases),
    }
    for wrong in draft.wrong:
        files[f"wrong/{wrong.name}.py"] = _code(wrong.source)
    return files


def draft_from_spec(spec: ExerciseSpec) -> Draft:
    """The form's view of a loaded exercise (bank folder or stored revision)."""
    return Draft(
        slug=spec.slug, title=spec.title, topic=spec.topic, difficulty=spec.difficulty, function=spec.function,
        signature=spec.signature, statement_md=spec.statement_md, walkthrough_md=spec.walkthrough_md,
        hints=list(spec.hints), starter=spec.starter, reference=spec.reference,
        cases=spec.cases_path.read_text(encoding="utf-8"), practises=list(spec.practises), demos=list(spec.demos),
        tolerance={d: pair for d, pair in spec.tolerance.items() if DEFAULT_TOLERANCE.get(d) != pair},
        wrong=[WrongDraft(w.file.removesuffix(".py"), w.mistake, list(w.fails), w.source) for w in spec.wrong],
    )


def write_folder(files: dict[str, str], folder: Path) -> None:
    for relative, text in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


@contextmanager
def loaded(files: dict[str, str], slug: str, **references: Any) -> Iterator[ExerciseSpec]:
    """``files`` read by the catalogue's validator from a temporary folder (gone after the ``with``)."""
    with tempfile.TemporaryDirectory(prefix="exercise-draft-") as tmp:
        folder = Path(tmp) / slug
        write_folder(files, folder)
        try:
            yield load_exercise(folder, **references)
        except ExerciseFormatError as exc:
            raise ExerciseFormatError([_relative(problem, folder) for problem in exc.problems]) from None


def _relative(problem: str, folder: Path) -> str:
    return problem.replace(f"{folder}{os.sep}", "")


def read_files(files: dict[str, str], slug: str) -> Draft:
    """A stored revision's files as a Draft (references unchecked: a question unpublished since must not hide it)."""
    with loaded(files, slug, question_slugs=ANYTHING, demo_names=ANYTHING, topics=ANYTHING) as spec:
        return draft_from_spec(spec)


def materialise(files: dict[str, str], slug: str, content_hash: str) -> ExerciseSpec:
    """The revision's folder on this machine, written once per content hash, and its spec for the grader.

    Content-addressed under the data directory: a folder never changes once written (renamed into
    place whole, so a reader never sees half of one), so any worker can grade any revision and the
    cases.py cache keyed by path and mtime stays correct.
    """
    root = Path(settings.VAR_DIR) / "exercise-revisions"
    target = root / content_hash
    if not (target / slug).is_dir():
        root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=root))
        write_folder(files, staging / slug)
        try:
            staging.rename(target)
        except OSError:  # another worker got there first: its copy holds the same bytes
            shutil.rmtree(staging, ignore_errors=True)
            if not (target / slug).is_dir():
                raise
    return load_exercise(target / slug, question_slugs=ANYTHING, demo_names=ANYTHING, topics=ANYTHING)


# --- problems → form fields -------------------------------------------------------------------------

# What a folder path or front-matter key is called on the form.
FILE_FIELDS = {"starter.py": "starter", "reference.py": "reference", "cases.py": "cases"}
KEY_FIELDS = {
    "slug": "slug", "title": "title", "topic": "topic", "difficulty": "difficulty", "function": "function",
    "signature": "signature", "practises": "practises", "demos": "demos", "hints": "hints", "tolerance": "tolerance",
    "statement": "statement_md", "walkthrough": "walkthrough_md", "wrong": "wrong", "front matter": None,
}
_PROBLEM = re.compile(r"^(?P<file>[^:]+?)(?::(?P<line>\d+))?: (?P<rest>.*)$", re.S)
_WRONG_ITEM = re.compile(r"^wrong\[(?P<n>\d+)\](?:\.(?P<key>\w+))?: (?P<message>.*)$", re.S)


@dataclass(frozen=True)
class Placed:
    """One problem of a draft: the form field it concerns (None: the whole form), the wrong solution's
    row when it is about one, and the sentence to show."""

    field: str | None
    message: str
    wrong_index: int | None = None


def place(problem: str, draft: Draft) -> Placed:
    """Map a catalogue problem (``path[:line]: field: sentence``, paths relative to the folder) to the form."""
    match = _PROBLEM.match(problem)
    if match is None:
        return Placed(None, _sentence(problem))
    file, line, rest = match["file"], match["line"], match["rest"]
    at_line = f"line {line}: " if line else ""
    if file in FILE_FIELDS:
        message = rest.split(": ", 1)[1] if rest.startswith(("source: ", "function: ", "imports: ", "cases: ")) else rest
        return Placed(FILE_FIELDS[file], _sentence(f"{at_line}{message}"))
    if file.startswith("wrong/"):
        name = file.removeprefix("wrong/").removesuffix(".py")
        index = next((i for i, w in enumerate(draft.wrong) if w.name == name), None)
        message = rest.split(": ", 1)[1] if rest.startswith(("source: ", "function: ", "imports: ")) else rest
        return Placed("source" if index is not None else None, _sentence(f"{at_line}{message}"), index)
    wrong = _WRONG_ITEM.match(rest)
    if wrong:
        key = wrong["key"] if wrong["key"] in ("mistake", "fails") else "name" if wrong["key"] == "file" else None
        return Placed(key, _sentence(wrong["message"]), int(wrong["n"]) - 1)
    key, _, message = rest.partition(": ")
    base = re.match(r"[a-z ]+", key)
    name = base.group(0) if base else key
    if name in KEY_FIELDS and message:
        item = re.search(r"\[(\d+)\]", key)
        where = f"item {item.group(1)}: " if item else ""
        return Placed(KEY_FIELDS[name], _sentence(f"{at_line}{where}{message}"))
    return Placed(None, _sentence(f"{at_line}{rest}"))


def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "?", "!")) else ".")
