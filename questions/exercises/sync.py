"""Mirror the exercise folders of the bank into ``Exercise`` rows (called by ``load_bank``).

Read-only towards the files and idempotent: an exercise whose folder hash and position are
unchanged is not touched; an edited one is updated in place; one whose folder is gone is
retired (``is_active=False``), keeping its submissions; a folder with format problems is
reported (``path: field: sentence``) and skipped, leaving its row as it was.

Exercises from the admin (``authoring/``) are never overwritten silently, as questions are not:
a bank exercise with an applied admin version keeps it, and a folder that changed since the edit
began is reported as a conflict (``exercises/<slug>: edited in the admin since <time>; file changed
too``); once the folder holds exactly the admin version (``export_bank``, committed), the bank is
the source again. An exercise written in the admin has no folder and is never retired for that.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db import transaction

from questions.exercises.catalogue import ExerciseFormatError, ExerciseSpec, engine_demo_names, exercise_folders, load_exercise
from questions.exercises.models import Exercise
from questions.models import Question, Topic
from questions.sync_report import SyncReport, edited_since


def references() -> dict[str, set[str]]:
    """What an exercise's front matter is checked against: what the database holds now (published
    questions, topics) and the engine's demos. load_bank and the authoring form share it."""
    return {
        "question_slugs": set(Question.objects.published().values_list("slug", flat=True)),
        "demo_names": engine_demo_names(),
        "topics": set(Topic.objects.values_list("slug", flat=True)),
    }


def sync_exercises(root: Path) -> SyncReport:
    """Bring the Exercise table in line with ``root`` (``<bank>/exercises``); never raises for bad content."""
    report = SyncReport()  # exercises by slug; errors: "path: field: sentence" of skipped folders
    topics = {topic.slug: topic for topic in Topic.objects.all()}
    checked_against = references()  # load_bank has just loaded this bank's questions
    seen: set[str] = set()
    for position, folder in enumerate(exercise_folders(root), start=1):
        try:
            spec = load_exercise(folder, **checked_against)
        except ExerciseFormatError as exc:
            report.errors.extend(exc.problems)
            seen.add(folder.name)  # a typo must not retire the exercise it used to define
            continue
        seen.add(spec.slug)
        _save(spec, topics[spec.topic], position * 10, report)
    gone = Exercise.objects.filter(is_active=True).exclude(slug__in=seen).exclude(source_path="")
    for exercise in gone:
        if exercise.edited_at is not None:
            report.conflicts.append(f"{exercise.source_path}: {edited_since(exercise.edited_at)}; file removed")
            continue
        exercise.is_active = False
        exercise.save(update_fields=["is_active", "updated_at"])
        report.retired.append(exercise.slug)
    return report


def _save(spec: ExerciseSpec, topic: Topic, order: int, report: SyncReport) -> None:
    existing = Exercise.objects.filter(slug=spec.slug).first()
    if existing is not None and existing.live_revision_id is not None:
        _reconcile_admin_version(existing, spec, report)
        return
    if existing is not None and (existing.content_hash, existing.order, existing.topic_id, existing.is_active) == (
        spec.content_hash, order, topic.pk, True
    ):
        report.unchanged.append(spec.slug)
        return
    from questions.exercises.examples import visible_examples  # imports torch: only when something changed

    try:
        examples = visible_examples(spec)
    except Exception as exc:  # a broken cases.py: reported like a format problem, the old row kept
        report.errors.append(f"{spec.cases_path}: cases: the visible examples could not be built ({type(exc).__name__}: {exc})")
        return
    with transaction.atomic():
        exercise = existing or Exercise(slug=spec.slug)
        exercise.order = order
        exercise.source_path = f"exercises/{spec.folder.name}"
        exercise.is_active = True
        fill(exercise, spec, topic, examples, spec.content_hash)
    (report.updated if existing else report.created).append(spec.slug)


def _reconcile_admin_version(exercise: Exercise, spec: ExerciseSpec, report: SyncReport) -> None:
    """An exercise with an applied admin version: kept, reported, or handed back to the bank when both agree."""
    if spec.content_hash == exercise.content_hash:
        # The folder is the admin version (exported and committed): from here on the bank is the source.
        adopted = not exercise.is_bank_exercise
        exercise.live_revision = None
        exercise.edited_at, exercise.edited_base_hash = None, ""
        exercise.source_path = f"exercises/{spec.folder.name}"
        exercise.save(update_fields=["live_revision", "edited_at", "edited_base_hash", "source_path", "updated_at"])
        (report.updated if adopted else report.unchanged).append(spec.slug)
    elif not exercise.is_bank_exercise:
        report.errors.append(f"exercises/{spec.folder.name}: slug: {spec.slug!r} is already used by an exercise "
                             "written in the admin; export it or choose another slug")
    elif spec.content_hash == exercise.edited_base_hash:
        report.unchanged.append(spec.slug)  # only the admin changed it: its version stays, quietly
    else:
        report.conflicts.append(f"{exercise.source_path}: {edited_since(exercise.edited_at)}; file changed too")


def fill(exercise: Exercise, spec: ExerciseSpec, topic: Topic, examples: list[dict[str, Any]], content_hash: str) -> None:
    """Write ``spec`` onto ``exercise`` and save it, practised questions included (the caller's transaction)."""
    exercise.title = spec.title
    exercise.topic = topic
    exercise.difficulty = spec.difficulty
    exercise.function = spec.function
    exercise.signature = spec.signature
    exercise.statement_md = spec.statement_md
    exercise.walkthrough_md = spec.walkthrough_md
    exercise.hints = list(spec.hints)
    exercise.starter = spec.starter
    exercise.reference = spec.reference
    exercise.examples = examples
    exercise.demos = list(spec.demos)
    exercise.content_hash = content_hash
    exercise.save()
    exercise.practises.set(Question.objects.filter(slug__in=spec.practises))
