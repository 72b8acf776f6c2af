"""What a taker may see of an attempt, as plain dicts shared by the pages and the JSON API.

The rule that matters lives here: before an attempt is finished nothing that
reveals an answer leaves the server — no correct flags, no explanations, no
expected values, not even the link to the question page (it shows the model answer).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from django.urls import reverse

from questions.markdown import render_markdown
from questions.models import Choice
from questions.quizzes import clock, services
from questions.quizzes.models import Attempt, Slot


def _slots(attempt: Attempt) -> list[Slot]:
    return list(attempt.slots.select_related("question", "question__topic", "item", "answer"))


def _choices(slot: Slot, choices_by_id: dict[int, Choice]) -> list[Choice]:
    return [choices_by_id[pk] for pk in slot.choice_order if pk in choices_by_id]


def answer_value(slot: Slot, value: Any) -> Any:
    """A stored answer as the taker sent it (options as their per-attempt tokens, never database ids)."""
    return slot.spec.present_value(slot, value)


def _stored_answer(slot: Slot) -> Any:
    answer = getattr(slot, "answer", None)
    return answer.value if answer is not None else None


def _base(slot: Slot) -> dict[str, Any]:
    """What every kind shows of a slot; ``template`` and ``input`` tell the page how to draw and read it."""
    spec = slot.spec
    return {"position": slot.position, "kind": slot.kind, "prompt_html": render_markdown(slot.prompt),
            "unit": slot.unit, "template": spec.template, "input": spec.answer_input}


def attempt_payload(attempt: Attempt, now: datetime | None = None) -> dict[str, Any]:
    """The attempt as the taker sees it while it runs: prompts, options in their order, saved answers."""
    now = now or clock.now()
    slots = _slots(attempt)
    choices = services.choices_of(slots)
    return {
        **_identity(attempt),
        "started_at": attempt.started_at.isoformat(),
        "deadline": attempt.deadline.isoformat(),
        "time_limit_seconds": attempt.time_limit_seconds,
        "remaining_seconds": services.remaining_seconds(attempt, now),
        "urls": _urls(attempt),
        "slots": [
            {**_base(slot), "choices": [], **slot.spec.present(slot, _choices(slot, choices)),
             "answer": answer_value(slot, _stored_answer(slot))}
            for slot in slots
        ],
    }


def _identity(attempt: Attempt) -> dict[str, str]:
    """What every payload of an attempt starts with."""
    return {"id": str(attempt.pk), "title": attempt.title, "status": attempt.status}


def _urls(attempt: Attempt) -> dict[str, str]:
    pk = str(attempt.pk)
    return {
        "page": reverse("quizzes:take", args=[pk]),
        "results_page": reverse("quizzes:results", args=[pk]),
        "save": reverse("quizzes:api_save", args=[pk]),
        "finish": reverse("quizzes:api_finish", args=[pk]),
        "results": reverse("quizzes:api_results", args=[pk]),
    }


def duration_text(seconds: int) -> str:
    """12 s, 3 min 05 s, 1 h 02 min: how long, at a glance."""
    if seconds < 60:
        return f"{seconds} s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def results_payload(attempt: Attempt, now: datetime | None = None) -> dict[str, Any]:
    """Everything after finishing: score, time used, and per slot your answer, the right one and why."""
    now = now or clock.now()
    slots = _slots(attempt)
    choices = services.choices_of(slots)
    return {
        **_identity(attempt),
        "finish_reason": attempt.finish_reason,
        "score": attempt.score,
        "max_score": attempt.max_score,
        "percent": round(100 * attempt.score / attempt.max_score) if attempt.max_score else 0,
        "pending_self_grades": attempt.pending_self_grades,
        "time_used_seconds": attempt.time_used_seconds(now),
        "time_limit_seconds": attempt.time_limit_seconds,
        "time_used_text": duration_text(attempt.time_used_seconds(now)),
        "time_limit_text": duration_text(attempt.time_limit_seconds),
        "started_at": attempt.started_at.isoformat(),
        "finished_at": attempt.finished_at.isoformat() if attempt.finished_at else None,
        "slots": [_slot_result(slot, choices) for slot in slots],
    }


def _slot_result(slot: Slot, choices_by_id: dict[int, Choice]) -> dict[str, Any]:
    answer = getattr(slot, "answer", None)
    value = answer.value if answer is not None else None
    question = slot.question
    return {
        **_base(slot),
        "your_answer": answer_value(slot, value),
        "answered": value not in (None, "", []),
        "points": answer.points if answer is not None and answer.points is not None else 0,
        "max_points": answer.max_points if answer is not None else slot.spec.max_points,
        "is_correct": answer.is_correct if answer is not None else False,
        "seconds_spent": answer.seconds_spent if answer is not None else 0,
        "question": (
            {"slug": question.slug, "title": question.title, "url": question.get_absolute_url()} if question else None
        ),
        "explanation_html": render_markdown(slot.item.explanation) if slot.item and slot.item.explanation else "",
        **slot.spec.present_result(slot, answer, _choices(slot, choices_by_id)),
    }
