"""Saving an admin edit as a pending revision, queueing its validation, and applying or refusing it.

The web process only checks the format (``drafts.loaded``, no torch, no cases.py) and writes the
revision and its validation run in one transaction, then publishes the run's message to the
``exercises`` queue like a submission. The live exercise changes only on the worker, in the same
transaction that records the validation's outcome (``record_outcome``): a worker killed half-way
writes nothing, and the sweep queues the run again.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from questions.exercises.authoring.drafts import Draft, draft_files, loaded, read_files
from questions.exercises.catalogue import ExerciseSpec, folder_hash
from questions.exercises.models import Exercise, ExerciseRevision
from questions.exercises.sync import fill, references
from questions.models import Status, Topic
from sandbox.jobs import dispatch, queues
from sandbox.jobs.models import Run


class NothingChanged(Exception):
    """The form holds what is live already: no revision, no validation."""


class StaleEdit(Exception):
    """Another revision was applied after this edit began; applying it would undo that one."""


@dataclass(frozen=True)
class Saved:
    revision: ExerciseRevision
    enqueued: bool  # False: the broker refused; the sweep sends it again


def live_draft(exercise: Exercise) -> Draft:
    """What the exercise holds now: its applied admin version, else its bank folder."""
    if exercise.live_revision_id is not None:
        revision = exercise.live_revision
        assert revision is not None
        return read_files(revision.files, revision.slug)
    return read_files(bank_files(exercise), exercise.slug)


def bank_folder(exercise: Exercise) -> Path:
    from questions import bank_loader  # DEFAULT_BANK_DIR read now, not bound at import: tests point it elsewhere

    return Path(bank_loader.DEFAULT_BANK_DIR) / exercise.source_path


def bank_files(exercise: Exercise) -> dict[str, str]:
    folder = bank_folder(exercise)
    return {path.relative_to(folder).as_posix(): path.read_text(encoding="utf-8")
            for path in sorted(folder.rglob("*")) if path.is_file() and "__pycache__" not in path.parts}


def check(draft: Draft) -> tuple[dict[str, str], str]:
    """The draft's files and their content hash (the catalogue's, as a folder); raises ExerciseFormatError
    (paths relative to the folder) naming every problem."""
    files = draft_files(draft)
    with loaded(files, draft.slug, **references()) as spec:
        return files, spec.content_hash


def save_revision(draft: Draft, exercise: Exercise | None, user: Any, summary: str = "") -> Saved:
    """Store ``draft`` as a pending revision of ``exercise`` (None: a new one) and queue its validation.

    Raises ExerciseFormatError for format problems (nothing stored) and NothingChanged when the
    draft is what is live already.
    """
    files, content_hash = check(draft)
    if exercise is not None and draft_files(live_draft(exercise)) == files:
        raise NothingChanged
    return _store(files, content_hash, draft.slug, exercise, user, summary)


def take_bank_version(exercise: Exercise, user: Any) -> Saved:
    """Resolve a conflict for the bank folder: its files become a revision, validated like any edit;
    once applied, the folder is the source again (``_apply``). Raises ExerciseFormatError if it is broken."""
    files = bank_files(exercise)
    with loaded(files, exercise.slug, **references()) as spec:
        content_hash = spec.content_hash
    return _store(files, content_hash, exercise.slug, exercise, user, f"Take the version of {exercise.source_path}")


def keep_admin_version(exercise: Exercise) -> None:
    """Resolve a conflict for the admin's version: the folder as it is now counts as seen, so load_bank
    keeps the edit quietly until the folder changes again (export makes it permanent)."""
    exercise.edited_base_hash = folder_hash(bank_folder(exercise))
    exercise.save(update_fields=["edited_base_hash", "updated_at"])


def _store(files: dict[str, str], content_hash: str, slug: str, exercise: Exercise | None, user: Any,
           summary: str) -> Saved:
    with transaction.atomic():
        revision = ExerciseRevision.objects.create(
            slug=slug, exercise=exercise, files=files, content_hash=content_hash,
            base_hash=exercise.content_hash if exercise is not None else "",
            author=user if getattr(user, "is_authenticated", False) else None, summary=summary[:300],
        )
        revision.run = _validation_run(revision, user)
        revision.save(update_fields=["run"])
    return Saved(revision, dispatch.enqueue(revision.run))


def validate_again(revision: ExerciseRevision, user: Any) -> Saved:
    """A validation that did not finish (its worker gave up, or it timed out) gets a fresh run."""
    with transaction.atomic():
        revision.run = _validation_run(revision, user)
        revision.save(update_fields=["run"])
    return Saved(revision, dispatch.enqueue(revision.run))


def _validation_run(revision: ExerciseRevision, user: Any) -> Run:
    from engine.environment import ENGINE_VERSION

    return Run.objects.create(
        kind=Run.Kind.VALIDATION, code=revision.files["reference.py"], queue=queues.EXERCISES,
        params={"revision": revision.pk, "exercise": revision.slug}, engine_version=ENGINE_VERSION,
        user=user if getattr(user, "is_authenticated", False) else None,
    )


def can_validate_again(revision: ExerciseRevision) -> bool:
    run = revision.run
    return revision.state == ExerciseRevision.State.VALIDATING and (run is None or run.state in Run.FINAL_STATES)


# --- on the worker ----------------------------------------------------------------------------------

def record_outcome(revision: ExerciseRevision, reasons: list[str], spec: ExerciseSpec | None,
                   examples: list[dict[str, Any]] | None) -> None:
    """Apply the revision (no reasons) or refuse it; call inside the transaction that finishes its run."""
    if not reasons:
        assert spec is not None and examples is not None
        try:
            _apply(revision, spec, examples)
            return
        except StaleEdit as exc:
            reasons = [str(exc)]
    revision.state, revision.refusal, revision.decided_at = ExerciseRevision.State.REFUSED, "\n".join(reasons), timezone.now()
    revision.save(update_fields=["state", "refusal", "decided_at"])


def _apply(revision: ExerciseRevision, spec: ExerciseSpec, examples: list[dict[str, Any]]) -> None:
    # No ordering (the default joins the topic): lock the exercise row alone, in any database.
    exercise = Exercise.objects.select_for_update().filter(slug=revision.slug).order_by().first()
    if exercise is None:
        topic = Topic.objects.get(slug=spec.topic)
        last = Exercise.objects.filter(topic=topic).aggregate(n=Max("order"))["n"] or 0
        # Written in the admin: a draft until a reviewer publishes it, and no folder (source_path "").
        exercise = Exercise(slug=revision.slug, status=Status.DRAFT, order=last + 10)
    elif exercise.content_hash != revision.base_hash:
        raise StaleEdit("the exercise changed after this edit began (another revision was applied); "
                        "open it again and redo the edit")
    if exercise.is_bank_exercise and bank_folder(exercise).is_dir() and folder_hash(bank_folder(exercise)) == revision.content_hash:
        # The bank folder's own content (a conflict resolved for the file): the folder is the source again.
        exercise.live_revision, exercise.edited_at, exercise.edited_base_hash = None, None, ""
    else:
        if exercise.is_bank_exercise and exercise.edited_at is None:
            exercise.edited_at, exercise.edited_base_hash = timezone.now(), exercise.content_hash
        exercise.live_revision = revision
    fill(exercise, spec, Topic.objects.get(slug=spec.topic), examples, revision.content_hash)
    revision.exercise, revision.state, revision.decided_at = exercise, ExerciseRevision.State.APPLIED, timezone.now()
    revision.save(update_fields=["exercise", "state", "decided_at"])

