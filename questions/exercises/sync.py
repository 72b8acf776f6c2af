"""Mirror the exercise folders of the bank into ``Exercise`` rows (called by ``load_bank``).

Read-only towards the files and idempotent: an exercise whose folder hash and position are
unchanged is not touched; an edited one is updated in place; one whose folder is gone is
retired (``is_active=False``), keeping its submissions; a folder with format problems is
reported (``path: field: sentence``) and skipped, leaving its row as it was.
"""
from __future__ import annotations

from pathlib import Path

from django.db import transaction

from questions.exercises.catalogue import ExerciseFormatError, ExerciseSpec, engine_demo_names, exercise_folders, load_exercise
from questions.exercises.models import Exercise
from questions.models import Question, Topic
from questions.sync_report import SyncReport


def sync_exercises(root: Path) -> SyncReport:
    """Bring the Exercise table in line with ``root`` (``<bank>/exercises``); never raises for bad content."""
    report = SyncReport()  # exercises by slug; errors: "path: field: sentence" of skipped folders
    topics = {topic.slug: topic for topic in Topic.objects.all()}
    # Checked against what the database now holds: load_bank has just loaded this bank's questions.
    references = {
        "question_slugs": set(Question.objects.published().values_list("slug", flat=True)),
        "demo_names": engine_demo_names(),
        "topics": set(topics),
    }
    seen: set[str] = set()
    for position, folder in enumerate(exercise_folders(root), start=1):
        try:
            spec = load_exercise(folder, **references)
        except ExerciseFormatError as exc:
            report.errors.extend(exc.problems)
            seen.add(folder.name)  # a typo must not retire the exercise it used to define
            continue
        seen.add(spec.slug)
        _save(spec, topics[spec.topic], position * 10, report)
    for exercise in Exercise.objects.filter(is_active=True).exclude(slug__in=seen):
        exercise.is_active = False
        exercise.save(update_fields=["is_active", "updated_at"])
        report.retired.append(exercise.slug)
    return report


def _save(spec: ExerciseSpec, topic: Topic, order: int, report: SyncReport) -> None:
    existing = Exercise.objects.filter(slug=spec.slug).first()
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
        exercise.order = order
        exercise.source_path = f"exercises/{spec.folder.name}"
        exercise.content_hash = spec.content_hash
        exercise.is_active = True
        exercise.save()
        exercise.practises.set(Question.objects.filter(slug__in=spec.practises))
    (report.updated if existing else report.created).append(spec.slug)
