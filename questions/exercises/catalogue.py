"""Read and validate the exercise folders of the bank (``questions/bank/exercises/<slug>/``).

The format is the contract in ``questions/bank/exercises/README.md`` (and the docstring of ``cases.py``). This
module only reads files: it imports neither torch nor an exercise's ``cases.py``, so the web
process can list exercises cheaply; what needs torch (the cases, the oracle) is checked by the
grader (``grading.checks``) on the worker and by the content test.

Every problem is reported as ``path: field: sentence``; a folder with several problems reports
them all at once (one per line), so an author fixes a file in one pass.
"""
from __future__ import annotations

import ast
import hashlib
import keyword
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from questions.bank_parser import (
    DIFFICULTIES,
    SLUG_RE,
    _Checker,
    _compose_and_load,
    control_character_problems,
    parse_topics_file,
    split_front_matter,
)

BANK_DIR = Path(__file__).resolve().parents[1] / "bank"
EXERCISES_DIR = BANK_DIR / "exercises"
EXERCISE_FILE = "exercise.md"
WALKTHROUGH_HEADING = "## Walkthrough"
REQUIRED_FILES = ("exercise.md", "starter.py", "reference.py", "cases.py")
KNOWN_KEYS = frozenset(
    {"slug", "title", "topic", "difficulty", "function", "signature", "practises", "demos", "tolerance", "hints", "wrong"}
)
MIN_HINTS = 2
MIN_WRONG = 2
log = logging.getLogger(__name__)

# [atol, rtol] per output dtype when the front matter does not say (integer and bool outputs compare exactly).
DEFAULT_TOLERANCE: dict[str, tuple[float, float]] = {
    "float32": (1e-5, 1e-4),
    "float64": (1e-10, 1e-8),
    "float16": (1e-2, 1e-2),
    "bfloat16": (1e-2, 1e-2),
}
# Packages a solution may not import: the grader's sandbox refuses them, so a reference that needs one is broken.
FORBIDDEN_IMPORTS = frozenset({"engine", "questions", "sandbox", "prep_site"})


class ExerciseFormatError(ValueError):
    """One or more problems with an exercise folder; each line reads ``path: field: sentence``."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class WrongSolution:
    file: str  # file name under wrong/
    mistake: str  # one sentence: what this solution gets wrong
    fails: tuple[str, ...]  # case names of which at least one must fail
    source: str


@dataclass(frozen=True)
class ExerciseSpec:
    slug: str
    title: str
    topic: str
    difficulty: str
    function: str
    signature: str
    practises: tuple[str, ...]
    demos: tuple[str, ...]
    tolerance: dict[str, tuple[float, float]]  # dtype name -> (atol, rtol), defaults filled in
    hints: tuple[str, ...]
    wrong: tuple[WrongSolution, ...]
    statement_md: str
    walkthrough_md: str
    starter: str
    reference: str
    folder: Path
    content_hash: str = field(default="")  # of every file of the folder: what changed since the last load

    @property
    def cases_path(self) -> Path:
        return self.folder / "cases.py"

    def tolerance_for(self, dtype_name: str) -> tuple[float, float] | None:
        """(atol, rtol) for a floating dtype name ("float32"); None for dtypes compared exactly."""
        return self.tolerance.get(dtype_name)


def load_exercise(folder: Path | str, *, question_slugs: set[str] | None = None, demo_names: set[str] | None = None,
                  topics: set[str] | None = None) -> ExerciseSpec:
    """Parse and validate one exercise folder; raises ExerciseFormatError listing every problem.

    ``question_slugs``, ``demo_names`` and ``topics`` default to the real bank's and engine's; tests pass their own.
    """
    folder = Path(folder)
    problems: list[str] = []
    missing = [name for name in REQUIRED_FILES if not (folder / name).is_file()]
    if missing:
        raise ExerciseFormatError([f"{folder / name}: file: is required in every exercise folder" for name in missing])
    md_path = folder / EXERCISE_FILE
    text = md_path.read_text(encoding="utf-8")
    for problem in control_character_problems(text):
        problems.append(f"{md_path}:{problem.line}: {problem.message}")
    try:
        front, body, _ = split_front_matter(text)
        node, data = _compose_and_load(front)
    except (ValueError, yaml.YAMLError) as exc:
        raise ExerciseFormatError([f"{md_path}: front matter: {getattr(exc, 'problem', None) or exc}"]) from None
    if not isinstance(data, dict):
        raise ExerciseFormatError([f"{md_path}: front matter: must be a mapping of keys to values"])
    checker = _Checker(node, 2)
    spec = _read_spec(folder, data, body, checker, problems,
                      question_slugs if question_slugs is not None else bank_question_slugs(),
                      demo_names if demo_names is not None else engine_demo_names(),
                      topics if topics is not None else bank_topics())
    problems[:0] = [f"{md_path}: {problem.message}" for problem in checker.problems]
    if problems:
        raise ExerciseFormatError(problems)
    return spec


def _read_spec(folder: Path, data: dict[str, Any], body: str, checker: _Checker, problems: list[str],
               question_slugs: set[str], demo_names: set[str], topics: set[str]) -> ExerciseSpec:
    for key in sorted(str(k) for k in data if k not in KNOWN_KEYS):
        checker.fail((key,), "is not a key of the exercise format (see questions/bank/exercises/README.md)")
    slug = checker.text(data, "slug", ())
    if slug and slug != folder.name:
        checker.fail(("slug",), f"must equal the folder name {folder.name!r}, got {slug!r}")
    elif slug and not SLUG_RE.match(slug):
        checker.fail(("slug",), f"must be lowercase letters, digits and single hyphens, got {slug!r}")
    topic = checker.text(data, "topic", ())
    if topic and topic not in topics:
        checker.fail(("topic",), f"{topic!r} is not a topic of questions/bank/topics.yaml")
    difficulty = checker.text(data, "difficulty", ())
    if difficulty and difficulty not in DIFFICULTIES:
        checker.fail(("difficulty",), f"must be one of {', '.join(DIFFICULTIES)}, got {difficulty!r}")
    function = checker.text(data, "function", ())
    if function and (not function.isidentifier() or keyword.iskeyword(function)):
        checker.fail(("function",), f"must be a Python function name, got {function!r}")
    signature = checker.text(data, "signature", ())
    if function and signature and not signature.startswith(f"{function}("):
        checker.fail(("signature",), f"must start with '{function}(' (the function's name), got {signature!r}")
    practises = checker.string_list(data, "practises")
    if not practises:
        checker.fail(("practises",), "must list at least one question slug of the bank")
    for index, question in enumerate(practises):
        if question not in question_slugs:
            checker.fail(("practises", index), f"{question!r} is not the slug of a question in the bank")
    demos = checker.string_list(data, "demos")
    for index, demo in enumerate(demos):
        if demo not in demo_names:
            checker.fail(("demos", index), f"{demo!r} is not a demo of the engine's registry")
    hints = checker.string_list(data, "hints")
    if len(hints) < MIN_HINTS:
        checker.fail(("hints",), f"must list at least {MIN_HINTS} hints (revealed one at a time), got {len(hints)}")
    tolerance = _tolerance(data.get("tolerance"), checker)
    wrong = _wrong_solutions(folder, data.get("wrong"), checker, problems)

    statement, walkthrough = _split_walkthrough(body)
    md_path = folder / EXERCISE_FILE
    if not statement:
        problems.append(f"{md_path}: statement: the body must state the task before '{WALKTHROUGH_HEADING}'")
    if not walkthrough:
        problems.append(f"{md_path}: walkthrough: the body must end with a '{WALKTHROUGH_HEADING}' section that explains the reference")
    starter = (folder / "starter.py").read_text(encoding="utf-8")
    reference = (folder / "reference.py").read_text(encoding="utf-8")
    if function:
        problems += _source_problems(folder / "starter.py", starter, function)
        problems += _source_problems(folder / "reference.py", reference, function)
        for solution in wrong:
            problems += _source_problems(folder / "wrong" / solution.file, solution.source, function)
    return ExerciseSpec(
        slug=slug, title=checker.text(data, "title", ()), topic=topic, difficulty=difficulty, function=function,
        signature=signature, practises=practises, demos=demos, tolerance=tolerance, hints=hints, wrong=tuple(wrong),
        statement_md=statement, walkthrough_md=walkthrough, starter=starter, reference=reference, folder=folder,
        content_hash=folder_hash(folder),
    )


def _tolerance(raw: Any, checker: _Checker) -> dict[str, tuple[float, float]]:
    tolerance = dict(DEFAULT_TOLERANCE)
    if raw is None:
        return tolerance
    if not isinstance(raw, dict):
        checker.fail(("tolerance",), "must map a dtype name (float32, float64, ...) to [atol, rtol]")
        return tolerance
    for dtype, pair in raw.items():
        if dtype not in DEFAULT_TOLERANCE:
            checker.fail(("tolerance", dtype), f"must be one of {', '.join(DEFAULT_TOLERANCE)} (integer outputs compare exactly)")
        elif (not isinstance(pair, list) or len(pair) != 2
              or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0 for v in pair)):
            checker.fail(("tolerance", dtype), f"must be [atol, rtol], two numbers >= 0, got {pair!r}")
        else:
            tolerance[dtype] = (float(pair[0]), float(pair[1]))
    return tolerance


def _wrong_solutions(folder: Path, raw: Any, checker: _Checker, problems: list[str]) -> list[WrongSolution]:
    if not isinstance(raw, list) or len(raw) < MIN_WRONG:
        checker.fail(("wrong",), f"must list at least {MIN_WRONG} wrong solutions, each with file, mistake and fails")
        return []
    solutions, seen = [], set()
    for index, entry in enumerate(raw):
        if not isinstance(entry, dict):
            checker.fail(("wrong", index), "must be a mapping with file, mistake and fails")
            continue
        for key in sorted(str(k) for k in entry if k not in ("file", "mistake", "fails")):
            checker.fail(("wrong", index, key), "is not a key of a wrong solution (file, mistake, fails)")
        name = checker.text(entry, "file", ("wrong", index))
        mistake = checker.text(entry, "mistake", ("wrong", index))
        fails = checker.string_list(entry, "fails") if isinstance(entry.get("fails"), list) else ()
        if not fails:
            checker.fail(("wrong", index, "fails"), "must list the case names (from cases.py) this mistake fails")
        if not name:
            continue
        path = folder / "wrong" / name
        if name in seen or "/" in name or not name.endswith(".py"):
            checker.fail(("wrong", index, "file"), f"must be a unique .py file name under wrong/, got {name!r}")
        elif not path.is_file():
            checker.fail(("wrong", index, "file"), f"{path} does not exist")
        else:
            seen.add(name)
            solutions.append(WrongSolution(name, mistake, fails, path.read_text(encoding="utf-8")))
    wrong_dir = folder / "wrong"
    for path in sorted(wrong_dir.glob("*.py")) if wrong_dir.is_dir() else ():
        if path.name not in seen and path.name != "__init__.py":
            problems.append(f"{path}: wrong: is not listed under 'wrong' in {EXERCISE_FILE}, so it is never checked")
    return solutions


def _source_problems(path: Path, source: str, function: str) -> list[str]:
    """A solution file must parse, define ``function`` at the top level and import no forbidden package."""
    try:
        tree = ast.parse(source, filename=str(path))
    except SyntaxError as exc:
        return [f"{path}:{exc.lineno}: source: is not valid Python ({exc.msg})"]
    problems = []
    defined = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    if function not in defined:
        problems.append(f"{path}: function: must define {function}() at the top level")
    for node in ast.walk(tree):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
            [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
        for name in names:
            if name.split(".")[0] in FORBIDDEN_IMPORTS:
                problems.append(f"{path}:{node.lineno}: imports: must not import {name} (the grader's sandbox refuses it)")
    return problems


def _split_walkthrough(body: str) -> tuple[str, str]:
    lines = body.splitlines(keepends=True)
    for index, line in enumerate(lines):
        if line.strip() == WALKTHROUGH_HEADING:
            return "".join(lines[:index]).strip(), "".join(lines[index + 1:]).strip()
    return body.strip(), ""


def _files(folder: Path) -> list[Path]:
    """The folder's files, without the bytecode caches that importing cases.py leaves behind."""
    return sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def folder_hash(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in _files(folder):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


# --- What the front matter is checked against ------------------------------------------------------

def bank_topics(bank: Path = BANK_DIR) -> set[str]:
    return {topic["slug"] for topic in parse_topics_file(bank / "topics.yaml")}


def bank_question_slugs(bank: Path = BANK_DIR) -> set[str]:
    """Slugs of the bank's questions: their file names (the bank's tests hold each file's slug to its name)."""
    return {path.stem for topic in bank_topics(bank) for path in (bank / topic).glob("*.md")}


def engine_demo_names() -> set[str]:
    """The engine's registered demo names (demo modules import no torch, so this is cheap in the web process)."""
    from engine.demos import REGISTRY, load_all

    load_all()
    return set(REGISTRY)


# --- The catalogue -----------------------------------------------------------------------------------

# folder -> (modification stamp of its files, its spec): re-read when a file changes, so an edited
# exercise shows up on the next request without a restart.
_cache: dict[Path, tuple[tuple[tuple[str, float], ...], ExerciseSpec]] = {}


def exercise_folders(root: Path = EXERCISES_DIR) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))


def _cached_load(folder: Path, references: Callable[[], dict[str, set[str]]] | None = None) -> ExerciseSpec:
    stamp = tuple((str(p), p.stat().st_mtime) for p in _files(folder))
    cached = _cache.get(folder)
    if cached and cached[0] == stamp:
        return cached[1]
    spec = load_exercise(folder, **(references or _references)())
    _cache[folder] = (stamp, spec)
    return spec


def _references() -> dict[str, set[str]]:
    return {"question_slugs": bank_question_slugs(), "demo_names": engine_demo_names(), "topics": bank_topics()}


def all_exercises(root: Path | str = EXERCISES_DIR, *, strict: bool = True) -> dict[str, ExerciseSpec]:
    """Every exercise by slug, in folder order.

    ``strict`` (the default, for tests and the CLI) raises ExerciseFormatError listing every bad folder;
    ``strict=False`` (for pages) leaves bad folders out and logs them, so one typo hides one exercise only.
    """
    references = lru_cache(maxsize=1)(_references)  # read at most once per call, and only if a folder changed
    exercises: dict[str, ExerciseSpec] = {}
    problems: list[str] = []
    for folder in exercise_folders(Path(root)):
        try:
            spec = _cached_load(folder, references)
        except ExerciseFormatError as exc:
            problems += exc.problems
        else:
            exercises[spec.slug] = spec
    if problems and strict:
        raise ExerciseFormatError(problems)
    for problem in problems:
        log.warning("exercise left out: %s", problem)
    return exercises


def get_exercise(slug: str, root: Path | str = EXERCISES_DIR) -> ExerciseSpec:
    """The exercise called ``slug``: KeyError (a sentence) when there is none, ExerciseFormatError when it is broken."""
    folder = Path(root) / (slug or "")
    if not SLUG_RE.match(slug or "") or not (folder / EXERCISE_FILE).is_file():
        raise KeyError(f"slug: there is no exercise called {slug!r}")
    return _cached_load(folder)
