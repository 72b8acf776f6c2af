"""Parse and validate one bank file (YAML front matter + Markdown body) without touching the database.

Pure functions, so the bank's own content tests and the loader share one
definition of "a valid question". Every problem is reported with the file's
path and the line it is on: YAML syntax errors carry the parser's line, schema
errors the line of the offending key (found by composing the YAML node tree,
which remembers where each key started).
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.utils.text import slugify

from questions import kinds
from questions.parsed import ParsedChoice, ParsedQuizItem

DIFFICULTIES = ("easy", "medium", "hard")
REQUIRED_KEYS = ("slug", "title", "topic", "difficulty")
LIST_KEYS = ("tags", "covers", "demos", "sources", "key_points", "common_mistakes", "follow_ups")
KNOWN_KEYS = frozenset(REQUIRED_KEYS + LIST_KEYS + ("order", "quiz"))
QUIZ_KEYS = frozenset(
    {"id", "kind", "prompt", "options", "explanation", "answer", "tolerance", "tolerance_mode", "unit"}
)
# Where a problem with a ParsedQuizItem field is in the YAML: the bank's own names for two of them.
YAML_KEY_OF_FIELD = {"choices": "options", "numeric_answer": "answer"}
OPTION_KEYS = frozenset({"text", "correct", "why"})
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
COVERS_RE = re.compile(r"^\d{3}#\d+$")
DEMO_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
FRONT_MATTER_FENCE = "---"

KeyPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    line: int
    message: str


class BankFileError(ValueError):
    """A file that cannot be loaded; ``problems`` lists every reason with its 1-based line."""

    def __init__(self, path: Path, problems: list[Problem]):
        self.path = path
        self.problems = problems
        super().__init__("\n".join(f"{path}:{p.line}: {p.message}" for p in problems))


@dataclass(frozen=True)
class ParsedQuestion:
    path: Path
    slug: str
    title: str
    topic: str
    difficulty: str
    body: str
    content_hash: str
    order: int | None = None
    tags: tuple[str, ...] = ()
    covers: tuple[str, ...] = ()
    demos: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    key_points: tuple[str, ...] = ()
    common_mistakes: tuple[str, ...] = ()
    follow_ups: tuple[str, ...] = ()
    quiz: tuple[ParsedQuizItem, ...] = ()
    # Keys the schema does not know: loaded anyway, but reported so typos ("tgas") get noticed.
    unknown_keys: tuple[str, ...] = field(default=())


def split_front_matter(text: str) -> tuple[str, str, int]:
    """(front matter, body, 1-based line where the body starts); raises ValueError with a reason."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != FRONT_MATTER_FENCE:
        raise ValueError("the file must start with a '---' line that opens the YAML front matter")
    for index in range(1, len(lines)):
        if lines[index].strip() == FRONT_MATTER_FENCE:
            return "".join(lines[1:index]), "".join(lines[index + 1:]), index + 2
    raise ValueError("the YAML front matter is never closed by a second '---' line")


# C0 control characters other than tab and newline (and DEL, and a bare CR). None belongs in a bank
# file; one usually means a Python string escape ate a backslash ("\approx" written as "\a" + "pprox"
# became BEL + "pprox"), which renders as nothing and silently breaks a formula.
_CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def control_character_problems(text: str) -> list[Problem]:
    """One problem per line that holds a control character, naming it by code point."""
    problems = []
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.removesuffix("\r")  # CRLF files are fine; a CR anywhere else is not
        found = _CONTROL_CHARACTER.search(line)
        if found:
            problems.append(Problem(
                number, f"control character U+{ord(found.group()):04X} at column {found.start() + 1}; "
                "remove it (a '\\a' or '\\b' in a formula is often an escaped backslash gone wrong)"))
    return problems


def parse_bank_file(path: Path | str, topics: set[str] | None = None) -> ParsedQuestion:
    """Parse one ``<topic>/<slug>.md``; ``topics`` (slugs from topics.yaml), when given, is checked too."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    control = control_character_problems(text)
    if control:
        raise BankFileError(path, control)
    try:
        front, body, _ = split_front_matter(text)
    except ValueError as exc:
        raise BankFileError(path, [Problem(1, str(exc))]) from None
    # Line 1 is the opening fence, so YAML line 0 is file line 2.
    first_yaml_line = 2
    try:
        node, data = _compose_and_load(front)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = first_yaml_line + (mark.line if mark else 0)
        reason = getattr(exc, "problem", None) or str(exc)
        raise BankFileError(path, [Problem(line, f"invalid YAML: {reason}")]) from None
    checker = _Checker(node, first_yaml_line)
    if not isinstance(data, dict):
        raise BankFileError(path, [Problem(first_yaml_line, "the front matter must be a mapping of keys to values")])
    question = checker.question(path, data, body, text, topics)
    if checker.problems:
        raise BankFileError(path, sorted(checker.problems, key=lambda p: p.line))
    assert question is not None
    return question


def _compose_and_load(text: str) -> tuple[yaml.Node | None, Any]:
    """The YAML node tree (which remembers each key's line) and the plain data, from one parse."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        return node, loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()


class _Checker:
    """Collects every schema problem in a file (not just the first), each with the line of its key."""

    def __init__(self, root: yaml.Node | None, first_line: int):
        self.root = root
        self.first_line = first_line
        self.problems: list[Problem] = []

    def fail(self, key_path: KeyPath, message: str) -> None:
        label = _format_path(key_path)
        self.problems.append(Problem(self.line_of(key_path), f"{label}: {message}" if label else message))

    def line_of(self, key_path: KeyPath) -> int:
        """The line of the deepest node along ``key_path`` that exists (a missing key → its parent's line)."""
        node = self.root
        line = node.start_mark.line if node is not None else 0
        for part in key_path:
            child = None
            if isinstance(node, yaml.MappingNode) and isinstance(part, str):
                for key_node, value_node in node.value:
                    if key_node.value == part:
                        line, child = key_node.start_mark.line, value_node
                        break
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
                child = node.value[part]
                line = child.start_mark.line
            if child is None:
                break
            node = child
        return self.first_line + line

    def text(self, data: dict, key: str, key_path: KeyPath, *, required: bool = True) -> str:
        value = data.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.fail(key_path + (key,), "is required and must not be empty")
            return ""
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self.fail(key_path + (key,), f"must be text, got {type(value).__name__}")
            return ""
        return str(value).strip()

    def string_list(self, data: dict, key: str) -> tuple[str, ...]:
        value = data.get(key)
        if value is None:
            return ()
        if not isinstance(value, list):
            self.fail((key,), f"must be a list, got {type(value).__name__}")
            return ()
        items = []
        for index, item in enumerate(value):
            if isinstance(item, bool) or not isinstance(item, (str, int, float)) or not str(item).strip():
                self.fail((key, index), "must be non-empty text")
            else:
                items.append(str(item).strip())
        return tuple(items)

    def question(self, path: Path, data: dict, body: str, text: str, topics: set[str] | None) -> ParsedQuestion | None:
        unknown = tuple(sorted(str(k) for k in data if k not in KNOWN_KEYS))
        slug = self.text(data, "slug", ())
        if slug and not SLUG_RE.match(slug):
            self.fail(("slug",), f"must be lowercase letters, digits and single hyphens, got {slug!r}")
        title = self.text(data, "title", ())
        topic = self.text(data, "topic", ())
        if topic and topic != path.parent.name:
            self.fail(("topic",), f"is {topic!r} but the file is in the folder {path.parent.name!r}; they must match")
        if topic and topics is not None and topic not in topics:
            self.fail(("topic",), f"{topic!r} is not listed in topics.yaml")
        difficulty = self.text(data, "difficulty", ())
        if difficulty and difficulty not in DIFFICULTIES:
            self.fail(("difficulty",), f"must be one of {', '.join(DIFFICULTIES)}, got {difficulty!r}")
        order = data.get("order")
        if order is not None and (isinstance(order, bool) or not isinstance(order, int) or order < 0):
            self.fail(("order",), f"must be a whole number ≥ 0, got {order!r}")
            order = None
        lists = {key: self.string_list(data, key) for key in LIST_KEYS}
        tags = []
        for index, tag in enumerate(lists["tags"]):
            normalised = slugify(tag)
            if not normalised:
                self.fail(("tags", index), f"{tag!r} has no letters or digits to make a tag from")
            elif normalised not in tags:
                tags.append(normalised)
        for index, cover in enumerate(lists["covers"]):
            if not COVERS_RE.match(cover):
                self.fail(("covers", index), f"must look like NNN#k (seed file prefix # item number), got {cover!r}")
        for index, demo in enumerate(lists["demos"]):
            if not DEMO_NAME_RE.match(demo):
                self.fail(("demos", index), f"must be a demo name like kv_cache_vs_recompute, got {demo!r}")
        quiz = self.quiz(data.get("quiz"))
        if not body.strip():
            self.problems.append(Problem(self.line_of(()) + 1, "the Markdown body (the answer) must not be empty"))
        if self.problems:
            return None
        return ParsedQuestion(
            path=path,
            slug=slug,
            title=title,
            topic=topic,
            difficulty=difficulty,
            body=body.strip() + "\n",
            content_hash=hashlib.sha256(text.encode("utf-8")).hexdigest(),
            order=order,
            tags=tuple(tags),
            covers=lists["covers"],
            demos=lists["demos"],
            sources=lists["sources"],
            key_points=lists["key_points"],
            common_mistakes=lists["common_mistakes"],
            follow_ups=lists["follow_ups"],
            quiz=quiz,
            unknown_keys=unknown,
        )

    def quiz(self, raw: Any) -> tuple[ParsedQuizItem, ...]:
        if raw is None:
            return ()
        if not isinstance(raw, list):
            self.fail(("quiz",), f"must be a list of items, got {type(raw).__name__}")
            return ()
        items: list[ParsedQuizItem] = []
        seen: set[str] = set()
        for index, entry in enumerate(raw):
            where: KeyPath = ("quiz", index)
            if not isinstance(entry, dict):
                self.fail(where, "each quiz item must be a mapping with id, kind and prompt")
                continue
            for key in sorted(str(k) for k in entry if k not in QUIZ_KEYS):
                self.fail(where + (key,), f"unknown quiz item key; allowed: {', '.join(sorted(QUIZ_KEYS))}")
            key = self.text(entry, "id", where)
            if key and not SLUG_RE.match(key):
                self.fail(where + ("id",), f"must be lowercase letters, digits and hyphens, got {key!r}")
            if key in seen:
                self.fail(where + ("id",), f"{key!r} is used by an earlier item; ids must be unique in the question")
            seen.add(key)
            kind = self.text(entry, "kind", where)
            item = self.quiz_item(entry, where, key, kind)
            problems = kinds.item_problems(item) if kind else []
            for problem in problems:
                self.fail(where + (YAML_KEY_OF_FIELD.get(problem.field, problem.field),), problem.message)
            if not problems and item.kind:
                items.append(item)
        return tuple(items)

    def quiz_item(self, entry: dict, where: KeyPath, key: str, kind: str) -> ParsedQuizItem:
        """Every key of one quiz item, type-checked; the kind's rules run on the result."""
        prompt = self.text(entry, "prompt", where)
        explanation = self.text(entry, "explanation", where, required=False)
        options = entry.get("options", [])
        if not isinstance(options, list):
            self.fail(where + ("options",), "must be a list of options")
            options = []
        choices = []
        for index, option in enumerate(options):
            at = where + ("options", index)
            if not isinstance(option, dict):
                self.fail(at, "each option must be a mapping with text (and correct/why)")
                continue
            for extra in sorted(str(k) for k in option if k not in OPTION_KEYS):
                self.fail(at + (extra,), f"unknown option key; allowed: {', '.join(sorted(OPTION_KEYS))}")
            correct = option.get("correct", False)
            if not isinstance(correct, bool):
                self.fail(at + ("correct",), f"must be true or false, got {correct!r}")
                correct = False
            choices.append(ParsedChoice(self.text(option, "text", at), correct, self.text(option, "why", at, required=False)))
        mode = entry.get("tolerance_mode", "relative")
        return ParsedQuizItem(
            kind=kind, prompt=prompt, key=key, explanation=explanation, choices=tuple(choices),
            numeric_answer=_yaml_number(entry.get("answer")), tolerance=_yaml_number(entry.get("tolerance")),
            tolerance_mode=mode if isinstance(mode, str) else repr(mode),
            unit=self.text(entry, "unit", where, required=False),
        )


def _yaml_number(value: Any) -> Any:
    """YAML 1.1 reads ``2.7e13`` (no sign in the exponent) as a string; accept it as the number it means."""
    if isinstance(value, str):
        try:
            return float(value.replace("_", ""))
        except ValueError:
            return value
    return value


def _format_path(key_path: KeyPath) -> str:
    out = ""
    for part in key_path:
        out += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def parse_topics_file(path: Path | str) -> list[dict[str, str]]:
    """The ordered topics of topics.yaml as dicts with slug, title, intro; raises BankFileError."""
    path = Path(path)
    try:
        node, data = _compose_and_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        reason = getattr(exc, "problem", None) or str(exc)
        raise BankFileError(path, [Problem((mark.line + 1) if mark else 1, f"invalid YAML: {reason}")]) from None
    checker = _Checker(node, 1)
    if not isinstance(data, list):
        raise BankFileError(path, [Problem(1, "topics.yaml must be a list of {slug, title, intro} entries")])
    topics, seen = [], set()
    for index, entry in enumerate(data):
        if not isinstance(entry, dict):
            checker.fail((index,), "each topic must be a mapping with slug, title and intro")
            continue
        slug = checker.text(entry, "slug", (index,))
        title = checker.text(entry, "title", (index,))
        if slug and (not SLUG_RE.match(slug) or slug in seen):
            checker.fail((index, "slug"), f"{slug!r} must be a unique slug of lowercase letters, digits and hyphens")
            continue
        seen.add(slug)
        topics.append({"slug": slug, "title": title, "intro": checker.text(entry, "intro", (index,), required=False)})
    if checker.problems:
        raise BankFileError(path, checker.problems)
    return topics
