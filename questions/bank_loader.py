"""Load the Markdown bank into the database, idempotently.

``load_bank(path)`` walks ``<path>/topics.yaml`` and ``<path>/<topic>/*.md``:

* a file whose content hash (and position) is unchanged is not touched at all;
* an edited file updates its question in place: fields, tags, quiz items
  matched by their ``id`` (items that disappeared are deactivated, not deleted,
  so quiz history keeps pointing at them), choices replaced;
* a new file's question is published; the loader never changes the status
  of a question a person moved (sent back to draft, retired) in the admin;
* a bank question whose file is gone is retired, never deleted;
* a bank question edited in the admin keeps its edit: if the file changed too,
  the conflict is reported (``path: edited in the admin since <time>; file
  changed too``) and the admin's version stays until a person resolves it
  (``take_file_version`` / ``keep_admin_version``, or ``export_bank``); a file
  that now says exactly what the admin holds (an export) clears the mark;
* a malformed file is reported (path:line: reason) and skipped, and the
  question it used to define is left exactly as it was: a typo must not
  retire a question.

Each file is saved in its own transaction, so one bad file never half-loads.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from django.db import transaction

from questions.bank_parser import BankFileError, ParsedQuestion, parse_bank_file, parse_topics_file
from questions import lifecycle
from questions.models import Question, Status, Tag, Topic
from questions.sync_report import SyncReport, edited_since
from questions.quiz_writer import write_quiz_items

DEFAULT_BANK_DIR = Path(__file__).resolve().parent / "bank"
TOPICS_FILE = "topics.yaml"
# Not a topic: graded coding exercises (questions/exercises/catalogue.py reads them), one folder each.
EXERCISES_FOLDER = "exercises"

__all__ = [
    "DEFAULT_BANK_DIR", "LoadReport", "ParsedQuestion", "keep_admin_version", "load_bank", "parse_bank_file",
    "take_file_version",
]


@dataclass
class LoadReport(SyncReport):
    """Questions by slug under SyncReport's headings (``errors`` are "path:line: message"), plus:"""

    # Bank questions edited in the admin whose version was kept (the file has not changed since).
    kept_edits: list[str] = field(default_factory=list)
    # ``conflicts`` (SyncReport's): the question files' and the exercise folders' together.
    # "path:line: message" strings about files that were loaded all the same.
    warnings: list[str] = field(default_factory=list)
    topics: int = 0
    # The exercise sync's own report: created, updated, unchanged, retired, errors ("path: field: sentence").
    exercises: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def exercise_errors(self) -> list[str]:
        return list(self.exercises.get("errors", []))

    def summary(self) -> str:
        return (
            f"{self.topics} topics; questions: {self.counts()}, "
            f"{len(self.kept_edits)} kept as edited in the admin, {len(self.conflicts)} conflicts; "
            f"{len(self.errors)} errors, {len(self.warnings)} warnings"
            + (f"; exercises: {SyncReport(**self.exercises).counts()}, {len(self.exercises['errors'])} errors"
               if self.exercises else "")
        )

    def as_dict(self) -> dict:
        return {**asdict(self), "ok": self.ok}


def load_bank(path: Path | str = DEFAULT_BANK_DIR) -> LoadReport:
    """Synchronise the database with the bank folder at ``path``; never raises for bad content."""
    root = Path(path)
    report = LoadReport()
    try:
        topics = parse_topics_file(root / TOPICS_FILE)
    except (BankFileError, OSError) as exc:
        report.errors.append(str(exc))
        return report  # without topics nothing can be placed; retiring everything would be wrong
    topic_objects = _sync_topics(topics)
    report.topics = len(topic_objects)

    seen_paths: set[str] = set()
    slugs_in_files: dict[str, str] = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_")) and p.name != EXERCISES_FOLDER):
        files = sorted(folder.glob("*.md"))
        if folder.name not in topic_objects:
            if files:
                report.errors.append(f"{folder}: folder is not a topic in {TOPICS_FILE}; its {len(files)} files were skipped")
            continue
        for position, file_path in enumerate(files, start=1):
            source_path = file_path.relative_to(root).as_posix()
            seen_paths.add(source_path)
            try:
                parsed = parse_bank_file(file_path, set(topic_objects))
            except BankFileError as exc:
                report.errors.append(str(exc))
                continue
            if parsed.slug in slugs_in_files:
                report.errors.append(f"{file_path}:2: slug: {parsed.slug!r} is already used by {slugs_in_files[parsed.slug]}")
                continue
            slugs_in_files[parsed.slug] = source_path
            for key in parsed.unknown_keys:
                report.warnings.append(f"{file_path}: unknown front-matter key {key!r} was ignored")
            order = parsed.order if parsed.order is not None else position * 10
            _save_question(parsed, topic_objects[parsed.topic], source_path, order, report)

    gone = Question.objects.filter(origin=Question.Origin.BANK).exclude(status=Status.RETIRED).exclude(source_path__in=seen_paths)
    for question in gone:
        if question.edited_at is not None:
            report.conflicts.append(f"{question.source_path}: {edited_since(question.edited_at)}; file removed")
            continue
        with transaction.atomic():
            before = question.status
            question.status = Status.RETIRED
            # No file, so no hash: when the file comes back it reads as changed and is published again.
            question.content_hash = ""
            question.save(update_fields=["status", "content_hash", "updated_at"])
            lifecycle.record_revision(question, None, "Retired by load_bank: its file is gone", status_before=before)
        report.retired.append(question.slug)
    _sync_exercises(root / EXERCISES_FOLDER, report)
    return report


def _sync_exercises(folder: Path, report: LoadReport) -> None:
    """After the questions (exercises link to them): mirror the exercise folders, if the bank has any."""
    if not folder.is_dir():
        return
    # Imported here: the exercises app's models must not load with this module (the admin imports it early).
    from questions.exercises.sync import sync_exercises

    # Its problems stay in its own report: ``ok`` is about the question files, which loaded either way.
    synced = sync_exercises(folder)
    report.conflicts.extend(synced.conflicts)  # one list of conflicts for a person to resolve
    report.exercises = synced.as_dict()


def _sync_topics(topics: list[dict[str, str]]) -> dict[str, Topic]:
    objects: dict[str, Topic] = {}
    for position, entry in enumerate(topics, start=1):
        topic, created = Topic.objects.get_or_create(
            slug=entry["slug"], defaults={"title": entry["title"], "intro": entry["intro"], "order": position}
        )
        if not created and (topic.title, topic.intro, topic.order) != (entry["title"], entry["intro"], position):
            topic.title, topic.intro, topic.order = entry["title"], entry["intro"], position
            topic.save()
        objects[topic.slug] = topic
    return objects


def _save_question(parsed: ParsedQuestion, topic: Topic, source_path: str, order: int, report: LoadReport) -> None:
    existing = Question.objects.filter(slug=parsed.slug).first()
    if existing is not None and existing.origin != Question.Origin.BANK:
        if _file_matches(existing, parsed, topic, order):
            # An export of an admin-made question, now committed: from here on it is a bank question.
            with transaction.atomic():
                existing.origin, existing.source_path, existing.content_hash = Question.Origin.BANK, source_path, parsed.content_hash
                existing.save(update_fields=["origin", "source_path", "content_hash", "updated_at"])
                lifecycle.record_revision(existing, None, f"Now kept in the bank as {source_path}")
            report.updated.append(parsed.slug)
            return
        report.errors.append(
            f"{parsed.path}:2: slug: {parsed.slug!r} is already used by a question from {existing.get_origin_display()}"
        )
        return
    if existing is not None and existing.edited_at is not None:
        _reconcile_edit(existing, parsed, topic, source_path, order, report)
        return
    if existing is not None and (
        existing.content_hash == parsed.content_hash
        and existing.order == order
        and existing.topic_id == topic.pk
        and existing.source_path == source_path
    ):
        report.unchanged.append(parsed.slug)
        return
    write_file_version(existing, parsed, topic, source_path, order)
    (report.updated if existing else report.created).append(parsed.slug)


def _file_matches(question: Question, parsed: ParsedQuestion, topic: Topic, order: int) -> bool:
    return lifecycle.same_content(lifecycle.snapshot(question), _parsed_snapshot(parsed, topic, order))


def _reconcile_edit(
    question: Question, parsed: ParsedQuestion, topic: Topic, source_path: str, order: int, report: LoadReport
) -> None:
    """A bank question edited in the admin: never overwritten here, only reported or, once both agree, cleared."""
    if _file_matches(question, parsed, topic, order):
        with transaction.atomic():
            lifecycle.clear_edited(question)
            question.content_hash, question.source_path = parsed.content_hash, source_path
            question.save(update_fields=["edited_at", "edited_by", "edited_base_hash", "content_hash", "source_path", "updated_at"])
        report.unchanged.append(parsed.slug)
    elif parsed.content_hash == question.edited_base_hash:
        report.kept_edits.append(parsed.slug)
    else:
        report.conflicts.append(f"{source_path}: {edited_since(question.edited_at)}; file changed too")


def _parsed_snapshot(parsed: ParsedQuestion, topic: Topic, order: int) -> dict:
    """What ``lifecycle.snapshot`` would return once this file were loaded (status aside)."""
    data = {
        "slug": parsed.slug, "topic": topic.slug, "order": order, "tags": sorted(parsed.tags),
        "title": parsed.title, "difficulty": parsed.difficulty, "answer_md": parsed.body,
    }
    data.update({name: list(getattr(parsed, name)) for name in lifecycle.LIST_FIELDS})
    data["quiz"] = [lifecycle.item_data(item) for item in parsed.quiz]
    return data


def write_file_version(
    existing: Question | None, parsed: ParsedQuestion, topic: Topic, source_path: str, order: int, user: object = None
) -> Question:
    """Make the database say what the file says (and forget any admin edit); one transaction, one revision."""
    with transaction.atomic():
        question = existing or Question(slug=parsed.slug, origin=Question.Origin.BANK, status=Status.PUBLISHED)
        before = question.status if existing else ""
        question.topic = topic
        question.title = parsed.title
        question.difficulty = parsed.difficulty
        question.answer_md = parsed.body
        question.key_points = list(parsed.key_points)
        question.common_mistakes = list(parsed.common_mistakes)
        question.follow_ups = list(parsed.follow_ups)
        question.demos = list(parsed.demos)
        question.sources = list(parsed.sources)
        question.covers = list(parsed.covers)
        question.order = order
        question.source_path = source_path
        if question.status == Status.RETIRED and not question.content_hash:
            question.status = Status.PUBLISHED  # retired by the loader when its file went; the file is back
        question.content_hash = parsed.content_hash
        lifecycle.clear_edited(question)
        question.save()
        question.tags.set([Tag.objects.get_or_create(slug=slug)[0] for slug in parsed.tags])
        write_quiz_items(question, parsed.quiz)
        lifecycle.record_revision(question, user, f"Loaded from {source_path}", status_before=before)
    return question


def _bank_file(question: Question, root: Path) -> tuple[ParsedQuestion, Topic, int]:
    """The question's file parsed, with its topic and order; raises BankFileError (or OSError) with the reason."""
    path = root / question.source_path
    topics = {t.slug: t for t in Topic.objects.all()}
    parsed = parse_bank_file(path, set(topics))
    position = sorted(path.parent.glob("*.md")).index(path) + 1
    return parsed, topics[parsed.topic], parsed.order if parsed.order is not None else position * 10


def take_file_version(question: Question, user: object = None, root: Path | None = None) -> Question:
    """Resolve a conflict for the file: the admin's edit is replaced (it stays in the question's history)."""
    # DEFAULT_BANK_DIR is read at call time, not bound as a default, so tests can point it elsewhere.
    parsed, topic, order = _bank_file(question, Path(root or DEFAULT_BANK_DIR))
    return write_file_version(question, parsed, topic, question.source_path, order, user)


def keep_admin_version(question: Question, user: object = None, root: Path | None = None) -> None:
    """Resolve a conflict for the admin's edit: the file as it is now counts as seen, so the next load
    keeps the edit quietly; the next change to the file is reported again. Export makes it permanent."""
    parsed, _, _ = _bank_file(question, Path(root or DEFAULT_BANK_DIR))
    with transaction.atomic():
        question.edited_base_hash = parsed.content_hash
        question.save(update_fields=["edited_base_hash", "updated_at"])
        lifecycle.record_revision(question, user, "Conflict resolved: kept the admin's version")
