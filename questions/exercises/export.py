"""Write exercises with an admin version back to the bank's folder format (``manage.py export_bank``).

The folder holds exactly the applied revision's files, so ``load_bank`` then finds the folder's hash
equal to the exercise's and hands it back to the bank without changing anything visitors see.
"""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from django.db.models import QuerySet

from questions.bank_export import ExportReport
from questions.bank_loader import EXERCISES_FOLDER
from questions.exercises.authoring.drafts import write_folder
from questions.exercises.models import Exercise


def default_selection() -> QuerySet[Exercise]:
    """Exercises written or edited in the admin (an applied revision is in force)."""
    return Exercise.objects.filter(live_revision__isnull=False).select_related("live_revision")


def export_exercises(exercises: Iterable[Exercise], root: Path, report: ExportReport) -> None:
    """Write each exercise's folder under ``root/exercises/``, removing files the revision no longer has."""
    for exercise in exercises:
        revision = exercise.live_revision
        if revision is None:
            report.notes.append(f"{EXERCISES_FOLDER}/{exercise.slug}: has no admin version; its bank folder is the source")
            continue
        folder = Path(root) / EXERCISES_FOLDER / exercise.slug
        if folder.is_dir():
            for path in sorted(folder.rglob("*.py")):
                relative = path.relative_to(folder).as_posix()
                if path.is_file() and relative not in revision.files and "__pycache__" not in path.parts:
                    path.unlink()  # e.g. a wrong solution renamed or removed in the admin
        write_folder(revision.files, folder)
        report.written.append(f"{EXERCISES_FOLDER}/{exercise.slug}/")
        if exercise.status != Exercise.Status.PUBLISHED:
            report.notes.append(f"{EXERCISES_FOLDER}/{exercise.slug}: the exercise is "
                                f"{exercise.get_status_display().lower()}; committed, it stays so until a reviewer publishes it")
