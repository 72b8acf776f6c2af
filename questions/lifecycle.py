"""A question's lifecycle: who may move it between statuses, and its history of revisions.

Statuses run draft → in review → published → retired. Authors (the "Authors" group) may write
drafts and submit them; reviewers (the "Reviewers" group) may also publish, send back and retire.
Each rule names the permission it needs, so the admin, its actions and the tests share one table.

A revision is a JSON snapshot of everything an author writes (the fields a bank file holds and
the quiz items with their options), plus who saved it, when, and any status change. Reverting
applies an old snapshot's content (never its status: that would let a revert publish) and records
a new revision, so history only ever grows.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from questions.models import Question, Revision, Status, Tag, Topic, authored_order
from questions.parsed import ParsedChoice, ParsedQuizItem
from questions.quiz_writer import write_quiz_items

SUBMIT = "questions.submit_question"
PUBLISH = "questions.publish_question"

# (from, to) → the permission that move needs. A move not listed here is never allowed.
TRANSITIONS: dict[tuple[str, str], str] = {
    (Status.DRAFT, Status.REVIEW): SUBMIT,
    (Status.REVIEW, Status.DRAFT): SUBMIT,  # an author may withdraw a submission; a reviewer sends it back
    (Status.DRAFT, Status.PUBLISHED): PUBLISH,
    (Status.REVIEW, Status.PUBLISHED): PUBLISH,
    (Status.PUBLISHED, Status.DRAFT): PUBLISH,
    (Status.PUBLISHED, Status.RETIRED): PUBLISH,
    (Status.RETIRED, Status.PUBLISHED): PUBLISH,
    (Status.RETIRED, Status.DRAFT): PUBLISH,
}
# The content fields a snapshot holds, in bank-file order (the quiz items are added separately).
LIST_FIELDS = ("key_points", "common_mistakes", "follow_ups", "demos", "sources", "covers")
TEXT_FIELDS = ("title", "difficulty", "answer_md")


class TransitionError(ValueError):
    """A status change this user may not make; ``field`` is the form field it concerns."""

    def __init__(self, field: str, message: str):
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


def label(status: str) -> str:
    return Status(status).label


def allowed_targets(user: Any, current: str) -> list[str]:
    """Statuses ``user`` may move a question to from ``current`` (``current`` itself not included)."""
    return [to for (before, to), perm in TRANSITIONS.items() if before == current and user.has_perm(perm)]


def check_transition(user: Any, before: str, after: str, noun: str = "question") -> None:
    """Raise ``TransitionError`` unless ``user`` may move a question (or an exercise: same table, same
    permissions) from ``before`` to ``after``."""
    if before == after:
        return
    perm = TRANSITIONS.get((before, after))
    if perm is None:
        raise TransitionError("status", f"a {noun} cannot go from {label(before)} to {label(after)} directly")
    if not user.has_perm(perm):
        who = "a reviewer" if perm == PUBLISH else "an author or a reviewer"
        raise TransitionError(
            "status", f"you may not move a {noun} from {label(before)} to {label(after)}; ask {who}"
        )


def can_edit(user: Any, question: Question | None) -> bool:
    """Authors edit drafts (and new questions); changing what visitors see or a queued one takes a reviewer."""
    if question is None or question.status == Status.DRAFT:
        return True
    return user.has_perm(PUBLISH)


# --- snapshots ---------------------------------------------------------------------------------

def snapshot(question: Question) -> dict[str, Any]:
    """The question's authored content as plain JSON: what a bank file holds, plus status and order."""
    data: dict[str, Any] = {
        "slug": question.slug,
        "topic": question.topic.slug,
        "status": question.status,
        "order": question.order,
        "tags": sorted(question.tags.values_list("slug", flat=True)),
    }
    data.update({name: getattr(question, name) for name in TEXT_FIELDS})
    data.update({name: list(getattr(question, name)) for name in LIST_FIELDS})
    data["quiz"] = [item_snapshot(item) for item in question.quiz_items.filter(is_active=True).order_by("order", "pk")]
    return data


def item_snapshot(item: Any) -> dict[str, Any]:
    """One active quiz item, its options in the order the author wrote them (not the shuffled storage order)."""
    options = authored_order(item, list(item.choices.order_by("order", "pk")))
    return item_data(ParsedQuizItem(
        kind=item.kind, prompt=item.prompt, key=item.key, explanation=item.explanation,
        choices=tuple(ParsedChoice(c.text, c.is_correct, c.explanation) for c in options),
        numeric_answer=item.numeric_answer, tolerance=item.tolerance, tolerance_mode=item.tolerance_mode, unit=item.unit,
    ))


def item_data(item: ParsedQuizItem) -> dict[str, Any]:
    """A parsed quiz item as snapshot JSON: the one shape shared by revisions, the export and load_bank's comparison."""
    return {
        "key": item.key, "kind": item.kind, "prompt": item.prompt, "explanation": item.explanation,
        "numeric_answer": item.numeric_answer, "tolerance": item.tolerance, "tolerance_mode": item.tolerance_mode,
        "unit": item.unit,
        "choices": [{"text": c.text, "correct": c.correct, "explanation": c.explanation} for c in item.choices],
    }


def parsed_items(data: dict[str, Any]) -> list[ParsedQuizItem]:
    """A snapshot's quiz items in the parsed schema, for ``write_quiz_items``."""
    return [
        ParsedQuizItem(
            kind=item["kind"], prompt=item["prompt"], key=item["key"], explanation=item["explanation"],
            choices=tuple(ParsedChoice(c["text"], c["correct"], c["explanation"]) for c in item["choices"]),
            numeric_answer=item["numeric_answer"], tolerance=item["tolerance"],
            tolerance_mode=item["tolerance_mode"], unit=item["unit"],
        )
        for item in data["quiz"]
    ]


def normalised(value: Any) -> Any:
    """Text as a file holds it: admin textareas send CRLF and keep edge whitespace the loader strips."""
    if isinstance(value, str):
        return value.replace("\r\n", "\n").strip()
    if isinstance(value, list):
        return [normalised(v) for v in value]
    if isinstance(value, dict):
        return {k: normalised(v) for k, v in value.items()}
    return value


def same_content(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Two snapshots hold the same authored content (status aside, line endings and edge spaces aside)."""
    content = [k for k in a if k != "status"]
    return all(normalised(a.get(k)) == normalised(b.get(k)) for k in content) and set(content) == set(b) - {"status"}


def changed_fields(before: dict[str, Any] | None, after: dict[str, Any]) -> list[str]:
    """The snapshot keys whose values differ, for a history line like "title, quiz"."""
    if before is None:
        return []
    return [key for key in after if normalised(before.get(key)) != normalised(after.get(key))]


# --- recording and applying --------------------------------------------------------------------

def _author(user: Any) -> Any:
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def record_revision(
    question: Question, user: Any, summary: str = "", status_before: str = "", data: dict[str, Any] | None = None
) -> Revision:
    """Append a revision holding the question's current state (or ``data``). Call inside the caller's transaction."""
    last = question.revisions.aggregate(n=Max("number"))["n"] or 0
    data = data if data is not None else snapshot(question)
    return Revision.objects.create(
        question=question, number=last + 1, snapshot=data, author=_author(user),
        status_before=status_before, status_after=data["status"], summary=summary[:300],
    )


def mark_edited(question: Question, user: Any) -> None:
    """Note that a person changed a bank question here, so ``load_bank`` keeps this version."""
    if question.origin != Question.Origin.BANK:
        return
    if question.edited_at is None:
        question.edited_at = timezone.now()
        question.edited_base_hash = question.content_hash
    question.edited_by = _author(user)
    question.save(update_fields=["edited_at", "edited_by", "edited_base_hash", "updated_at"])


def clear_edited(question: Question) -> None:
    question.edited_at, question.edited_by, question.edited_base_hash = None, None, ""


@transaction.atomic
def transition(question: Question, to: str, user: Any, summary: str = "") -> Revision:
    """Move ``question`` to status ``to`` if ``user`` may; raises ``TransitionError`` (and changes nothing) if not."""
    before = question.status
    check_transition(user, before, to)
    question.status = to
    question.save(update_fields=["status", "updated_at"])
    return record_revision(question, user, summary or f"{label(before)} → {label(to)}", status_before=before)


def apply_snapshot(question: Question, data: dict[str, Any]) -> None:
    """Put a snapshot's content (not its status or slug) back on ``question``, quiz items included."""
    question.topic = Topic.objects.get(slug=data["topic"])
    question.order = data["order"]
    for name in TEXT_FIELDS:
        setattr(question, name, data[name])
    for name in LIST_FIELDS:
        setattr(question, name, list(data[name]))
    question.save()
    question.tags.set(_tags(data["tags"]))
    write_quiz_items(question, parsed_items(data))


def _tags(slugs: Iterable[str]) -> list[Tag]:
    return [Tag.objects.get_or_create(slug=slug)[0] for slug in slugs]


@transaction.atomic
def revert(question: Question, revision: Revision, user: Any) -> Revision:
    """Restore ``revision``'s content as a new revision; the status stays what it is now."""
    if revision.question_id != question.pk:
        raise TransitionError("revision", f"revision {revision.number} belongs to another question")
    apply_snapshot(question, revision.snapshot)
    mark_edited(question, user)
    return record_revision(question, user, f"Reverted to revision {revision.number}")
