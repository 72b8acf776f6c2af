"""Posting the authoring form and running what the worker runs, shared by the authoring tests."""
from __future__ import annotations

from typing import Any


def form_data(draft: Any, *, initial_rows: int = 0, summary: str = "", **fields: Any) -> dict[str, Any]:
    """What the authoring form posts for ``draft`` (``fields`` override single form fields)."""
    data: dict[str, Any] = {
        "title": draft.title, "slug": draft.slug, "topic": draft.topic, "difficulty": draft.difficulty,
        "function": draft.function, "signature": draft.signature, "statement_md": draft.statement_md,
        "walkthrough_md": draft.walkthrough_md, "hints": list(draft.hints), "practises": list(draft.practises),
        "starter": draft.starter, "reference": draft.reference, "cases": draft.cases, "summary": summary,
        "wrong-TOTAL_FORMS": str(len(draft.wrong)), "wrong-INITIAL_FORMS": str(initial_rows),
        "wrong-MIN_NUM_FORMS": "0", "wrong-MAX_NUM_FORMS": "6",
    }
    if draft.demos:
        data["demos"] = list(draft.demos)
    for dtype, (atol, rtol) in draft.tolerance.items():
        data[f"atol_{dtype}"], data[f"rtol_{dtype}"] = atol, rtol
    for number, wrong in enumerate(draft.wrong):
        data.update({f"wrong-{number}-name": wrong.name, f"wrong-{number}-mistake": wrong.mistake,
                     f"wrong-{number}-fails": list(wrong.fails), f"wrong-{number}-source": wrong.source})
    data.update(fields)
    return data


def edit_post(client: Any, exercise: Any, draft: Any, **fields: Any) -> Any:
    live_rows = int(fields.pop("initial_rows", 2))
    return client.post(f"/admin/exercises/exercise/{exercise.pk}/change/",
                       form_data(draft, initial_rows=live_rows, **fields))


def run_validation(revision: Any) -> str:
    """What the ``sandbox.validate_exercise`` task does, here and now."""
    from questions.exercises.authoring.validate import validate_run
    from sandbox.jobs.execution import execute

    revision.refresh_from_db()
    return execute(str(revision.run_id), handler=validate_run)


def apply_without_grading(revision: Any) -> None:
    """Record a passing outcome directly: for tests about storage (conflicts, export), not about validation."""
    from django.db import transaction

    from questions.exercises.authoring.drafts import materialise
    from questions.exercises.authoring.revisions import record_outcome
    from questions.exercises.examples import visible_examples

    spec = materialise(revision.files, revision.slug, revision.content_hash)
    with transaction.atomic():
        record_outcome(revision, [], spec, visible_examples(spec))

