"""Load the Markdown bank into the database, idempotently.

``load_bank(path)`` walks ``<path>/topics.yaml`` and ``<path>/<topic>/*.md``:

* a file whose content hash (and position) is unchanged is not touched at all;
* an edited file updates its question in place: fields, tags, quiz items
  matched by their ``id`` (items that disappeared are deactivated, not deleted,
  so quiz history keeps pointing at them), choices replaced;
* a bank question whose file is gone is retired (``is_active=False``);
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
from questions.models import Question, Tag, Topic
from questions.quiz_writer import write_quiz_items

DEFAULT_BANK_DIR = Path(__file__).resolve().parent / "bank"
TOPICS_FILE = "topics.yaml"
# Not a topic: graded coding exercises (questions/exercises/catalogue.py reads them), one folder each.
EXERCISES_FOLDER = "exercises"

__all__ = ["DEFAULT_BANK_DIR", "LoadReport", "ParsedQuestion", "load_bank", "parse_bank_file"]


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    # "path:line: message" strings; errors skipped a file, warnings did not.
    errors: list[str] = field(default_factory=list)
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
            f"{self.topics} topics; questions: {len(self.created)} created, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged, {len(self.retired)} retired; "
            f"{len(self.errors)} errors, {len(self.warnings)} warnings"
            + (f"; exercises: {len(self.exercises['created'])} created, {len(self.exercises['updated'])} updated, "
               f"{len(self.exercises['unchanged'])} unchanged, {len(self.exercises['retired'])} retired, "
               f"{len(self.exercises['errors'])} errors"
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

    retired = Question.objects.filter(origin=Question.Origin.BANK, is_active=True).exclude(source_path__in=seen_paths)
    for question in retired:
        question.is_active = False
        question.save(update_fields=["is_active", "updated_at"])
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
    report.exercises = sync_exercises(folder).as_dict()


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
        report.errors.append(
            f"{parsed.path}:2: slug: {parsed.slug!r} is already used by a question from {existing.get_origin_display()}"
        )
        return
    if existing is not None and (
        existing.content_hash == parsed.content_hash
        and existing.order == order
        and existing.topic_id == topic.pk
        and existing.source_path == source_path
        and existing.is_active
    ):
        report.unchanged.append(parsed.slug)
        return
    with transaction.atomic():
        question = existing or Question(slug=parsed.slug, origin=Question.Origin.BANK)
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
        question.content_hash = parsed.content_hash
        question.is_active = True
        question.save()
        question.tags.set([Tag.objects.get_or_create(slug=slug)[0] for slug in parsed.tags])
        write_quiz_items(question, parsed.quiz)
    (report.updated if existing else report.created).append(parsed.slug)
