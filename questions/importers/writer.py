"""Writing parsed items to the database: idempotent, all or nothing.

Identity: an imported question is ``origin="import"`` with
``source_path = "<file name>#<n>"`` (the base name, so importing the same file
from another folder finds the same rows). Its ``content_hash`` fingerprints
everything the importer writes: an equal hash (and topic) means nothing to do,
a different one updates the question in place, keeping its slug and therefore
its URL and quiz history.

Topic: ``--topic`` names one (created if missing, title as given, slug from
it); without it every imported question goes to the topic "imported", so
imports never mix silently with the curated bank. The file's own section
headings become tags instead (plus "imported" and, for production challenges,
"production-challenge"), which keeps them searchable and filterable.

The whole run is one transaction: if anything fails, nothing is written.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Max
from django.utils.text import slugify

from questions.importers.items import ParsedFile, ParsedItem
from questions.importers.textblocks import first_words
from questions import lifecycle
from questions.models import Question, Status, Tag, Topic
from questions.quiz_writer import write_quiz_items

DEFAULT_TOPIC_SLUG = "imported"
DEFAULT_TOPIC_TITLE = "Imported questions"
IMPORT_TAG = "imported"
TITLE_LIMIT = Question._meta.get_field("title").max_length or 300
SLUG_LIMIT = 100  # leaves room in Question.slug (120) for a "-NN" suffix
TAG_LIMIT = Tag._meta.get_field("slug").max_length or 80


@dataclass
class FileResult:
    path: str
    format: str
    questions: int
    warnings: list[str]
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def as_dict(self) -> dict:
        return {
            "path": self.path,
            "format": self.format,
            "questions": self.questions,
            "warnings": list(self.warnings),
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
        }


@dataclass
class ImportReport:
    files: list[FileResult] = field(default_factory=list)
    dry_run: bool = False

    @property
    def total(self) -> int:
        return sum(f.questions for f in self.files)

    def as_dict(self) -> dict:
        return {"files": [f.as_dict() for f in self.files], "total": self.total, "dry_run": self.dry_run}


def summarise(parsed: list[ParsedFile]) -> ImportReport:
    """The report of a dry run: what would be imported, without touching the database."""
    return ImportReport([FileResult(p.path, p.format, len(p.items), list(p.warnings)) for p in parsed], dry_run=True)


def topic_slug(name: str | None) -> str:
    """The slug ``--topic`` resolves to; raises ValueError for a name with no usable characters."""
    if not name or not name.strip():
        return DEFAULT_TOPIC_SLUG
    slug = slugify(name)[: Topic._meta.get_field("slug").max_length]
    if not slug:
        raise ValueError(f"topic: {name!r} has no letters or digits to make a slug from")
    return slug


def _topic(name: str | None) -> Topic:
    slug = topic_slug(name)
    title = DEFAULT_TOPIC_TITLE if slug == DEFAULT_TOPIC_SLUG and not name else name.strip()  # type: ignore[union-attr]
    topic = Topic.objects.filter(slug=slug).first()
    if topic is None:
        last = Topic.objects.aggregate(last=Max("order"))["last"] or 0
        topic = Topic.objects.create(slug=slug, title=title, order=last + 1)
    return topic


def _unique_slug(title: str, existing: Question | None) -> str:
    if existing is not None:
        return existing.slug
    base = slugify(title)[:SLUG_LIMIT].strip("-") or "imported-question"
    slug, n = base, 2
    while Question.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _tags(item: ParsedItem) -> list[Tag]:
    slugs = [IMPORT_TAG, slugify(item.section)[:TAG_LIMIT].strip("-"), item.kind_tag]
    unique = dict.fromkeys(s for s in slugs if s)
    return [Tag.objects.get_or_create(slug=slug)[0] for slug in unique]


def _save_item(parsed: ParsedFile, item: ParsedItem, topic: Topic) -> str:
    """Create, update or leave one question; returns which of the three happened."""
    source_path = f"{parsed.name}#{item.number}"
    digest = item.content_hash()
    existing = Question.objects.filter(origin=Question.Origin.IMPORT, source_path=source_path).first()
    if existing is not None and existing.content_hash == digest and existing.topic_id == topic.pk:
        return "unchanged"
    title, answer = item.title, item.answer_md
    if len(title) > TITLE_LIMIT:
        # Too long for a title: shorten it and keep the full question at the top of the answer.
        title, answer = first_words(title, TITLE_LIMIT), f"**Question.** {item.title}\n\n{answer}"
    # A new import is a draft until a reviewer publishes it; a re-import keeps whatever status it has reached.
    question = existing or Question(origin=Question.Origin.IMPORT, source_path=source_path, status=Status.DRAFT)
    question.slug = _unique_slug(title, existing)
    question.topic = topic
    question.title = title
    question.answer_md = answer
    question.follow_ups = list(item.follow_ups)
    question.order = item.number
    question.content_hash = digest
    question.needs_review = item.needs_review
    question.review_notes = list(item.review_notes)
    question.save()
    question.tags.set(_tags(item))
    write_quiz_items(question, [item.quiz] if item.quiz is not None else [])
    lifecycle.record_revision(question, None, f"Imported from {source_path}")
    return "updated" if existing else "created"


def write_files(parsed: list[ParsedFile], topic: str | None = None) -> ImportReport:
    """Import every parsed file in one transaction and report what changed per file."""
    report = ImportReport()
    with transaction.atomic():
        target = _topic(topic)
        for file in parsed:
            result = FileResult(file.path, file.format, len(file.items), list(file.warnings))
            for item in file.items:
                outcome = _save_item(file, item, target)
                setattr(result, outcome, getattr(result, outcome) + 1)
            report.files.append(result)
    return report
