"""Every rule about attempts, in one module that both the pages and the JSON API call.

Starting, saving, finishing, self-grading and expiring attempts live here so
the two front ends cannot drift apart: views parse the request, call one
function, and render what comes back. Errors are ``QuizError`` subclasses that
name the field at fault; when one is raised nothing has been changed.

Concurrency: saving and finishing each run in one transaction that first locks
the attempt row (``select_for_update``; on SQLite the IMMEDIATE transaction mode
takes the write lock up front instead). A save therefore either lands before the
finish and is graded, or sees the attempt finished and is refused — never lost.
"""
from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from questions.models import Choice
from questions import kinds
from questions.quizzes import builder, clock, conf, grading, review
from questions.quizzes.errors import AttemptClosed, InvalidInput, NotFound
from questions.quizzes.models import Answer, Attempt, FixedQuiz, ReviewLog, Slot
from questions.quizzes.ownership import Owner
from questions.quizzes.presets import Preset, get_preset

# --- starting ----------------------------------------------------------------------------------------


def start_attempt(owner: Owner, spec: builder.QuizSpec, rng: random.Random | None = None,
                  fixed_quiz: FixedQuiz | None = None) -> Attempt:
    """Create an attempt with its slots frozen, its clock started now."""
    rng = rng or random.Random()
    drafts = builder.slots_for_fixed_quiz(fixed_quiz, rng) if fixed_quiz else builder.slots_for_spec(spec, rng)
    return _create_attempt(owner, spec, drafts, fixed_quiz=fixed_quiz)


def start_preset(owner: Owner, key: str, rng: random.Random | None = None, *, restart: bool = False) -> Attempt:
    """The owner's running attempt at this preset, or a new one.

    Clicking a preset again resumes what is running rather than leaving it behind as an orphan;
    ``restart`` closes it (as abandoned, graded on what was saved) and starts afresh.
    """
    preset = get_preset(key)
    if preset is None:
        raise NotFound("preset", f"there is no quiz preset called {key!r}")
    running = open_preset_attempt(owner, key)
    if running is not None:
        if not restart:
            return running
        _close(running.pk, Attempt.FinishReason.ABANDONED)
    return start_from_preset(owner, preset, rng)


def open_preset_attempt(owner: Owner | None, key: str) -> Attempt | None:
    """The owner's attempt at preset ``key`` that still accepts answers (expired ones are closed first)."""
    for attempt in _owned(owner).filter(status=Attempt.Status.IN_PROGRESS, spec__preset=key).order_by("-started_at"):
        if not finalize_if_expired(attempt).is_finished:
            return attempt
    return None


def start_from_preset(owner: Owner, preset: Preset, rng: random.Random | None = None) -> Attempt:
    rng = rng or random.Random()
    fixed = FixedQuiz.objects.get(pk=preset.fixed_quiz_id) if preset.fixed_quiz_id else None
    drafts = builder.slots_for_fixed_quiz(fixed, rng) if fixed else builder.slots_for_spec(preset.spec, rng)
    return _create_attempt(owner, preset.spec, drafts, fixed_quiz=fixed, preset_key=preset.key)


def retry_mistakes(owner: Owner, attempt_id: Any, rng: random.Random | None = None) -> Attempt:
    """A new attempt with the slots this owner got wrong (drills get fresh numbers of the same kind)."""
    rng = rng or random.Random()
    attempt = get_attempt(owner, attempt_id)
    if not attempt.is_finished:
        raise AttemptClosed("attempt", "finish this attempt before retrying its mistakes")
    drafts: list[builder.SlotDraft] = []
    for slot in attempt.slots.select_related("item", "question").prefetch_related("item__choices"):
        answer = getattr(slot, "answer", None)
        if answer is not None and answer.is_correct:
            continue
        draft = builder.retry_slot(slot, rng)
        if draft is not None:
            drafts.append(draft)
    if not drafts:
        raise InvalidInput("attempt", "this attempt has no mistakes to retry")
    seconds = max(120, len(drafts) * conf.retry_seconds_per_question())
    spec = builder.QuizSpec(title=f"Retry: {attempt.title}"[:200], count=len(drafts),
                            time_limit_minutes=max(1, round(seconds / 60)))
    return _create_attempt(owner, spec, drafts)


def _create_attempt(owner: Owner, spec: builder.QuizSpec, drafts: list[builder.SlotDraft],
                    fixed_quiz: FixedQuiz | None = None, preset_key: str = "") -> Attempt:
    now = clock.now()
    minutes = fixed_quiz.time_limit_minutes if fixed_quiz else spec.time_limit_minutes
    with transaction.atomic():
        attempt = Attempt.objects.create(
            title=fixed_quiz.title if fixed_quiz else spec.title, fixed_quiz=fixed_quiz,
            # The preset's key, so that clicking the preset again finds this attempt (start_preset).
            spec={**spec.to_json(), **({"preset": preset_key} if preset_key else {})},
            started_at=now, deadline=now + timedelta(minutes=minutes), **owner.fields(),
        )
        Slot.objects.bulk_create(
            Slot(attempt=attempt, position=position, kind=d.kind, question=d.question, item=d.item,
                 topic=d.question.topic if d.question else None, prompt=d.prompt, choice_order=d.choice_order,
                 expected=d.expected, tolerance=d.tolerance, tolerance_mode=d.tolerance_mode, unit=d.unit,
                 drill=d.drill)
            for position, d in enumerate(drafts, start=1)
        )
    return attempt


# --- reading -----------------------------------------------------------------------------------------


def get_attempt(owner: Owner | None, attempt_id: Any) -> Attempt:
    """The owner's attempt, finalised first if its time ran out; someone else's is "not found"."""
    attempt = _owned(owner).filter(pk=_parse_uuid(attempt_id)).first()
    if attempt is None:
        raise NotFound("attempt", "no such attempt for this account or visitor")
    return finalize_if_expired(attempt)


def attempts_for(owner: Owner | None) -> QuerySet[Attempt]:
    """The owner's attempts, newest first; any left open past their deadline are closed first, so
    history never shows an abandoned attempt as "In progress" (the periodic sweep does the same for all)."""
    expired = _owned(owner).filter(status=Attempt.Status.IN_PROGRESS, deadline__lt=_grace_cutoff())
    for pk in expired.values_list("pk", flat=True):
        _close(pk, Attempt.FinishReason.ABANDONED)
    return _owned(owner).order_by("-started_at")


def _owned(owner: Owner | None) -> QuerySet[Attempt]:
    return Attempt.objects.filter(owner.filter()) if owner is not None else Attempt.objects.none()


def _parse_uuid(value: Any) -> uuid.UUID | None:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise NotFound("attempt", "no such attempt for this account or visitor") from None


def remaining_seconds(attempt: Attempt, now: datetime | None = None) -> int:
    """Whole seconds until the deadline (0 once it has passed); the page's countdown restarts from this."""
    if attempt.is_finished:
        return 0
    now = now or clock.now()
    return max(0, int((attempt.deadline - now).total_seconds() + 0.999))


def accepts_answers(attempt: Attempt, now: datetime | None = None) -> bool:
    """Open, and not past the deadline plus the grace period (at exactly deadline + grace: still accepted)."""
    now = now or clock.now()
    return not attempt.is_finished and now <= attempt.deadline + timedelta(seconds=conf.deadline_grace_seconds())


# --- saving ------------------------------------------------------------------------------------------


def save_answer(owner: Owner | None, attempt_id: Any, position: Any, value: Any,
                seconds_spent: Any = None) -> Answer:
    """Upsert the answer for one slot. Validates everything before writing; refuses closed attempts."""
    attempt = get_attempt(owner, attempt_id)
    slot_position = _position(position)
    spent = _seconds_spent(seconds_spent, attempt)
    with transaction.atomic():
        # Re-read under the lock: a finish that committed since get_attempt() must win.
        locked = Attempt.objects.select_for_update().get(pk=attempt.pk)
        now = clock.now()
        if locked.is_finished:
            raise AttemptClosed("attempt", "this attempt is finished; answers can no longer change")
        if not accepts_answers(locked, now):
            raise AttemptClosed("attempt", "time is up for this attempt; answers can no longer change")
        slot = Slot.objects.filter(attempt=locked, position=slot_position).first()
        if slot is None:
            raise InvalidInput("slot", f"this attempt has questions 1 to {locked.slots.count()} (got {position!r})")
        clean = clean_value(slot, value)
        answer, created = Answer.objects.get_or_create(
            slot=slot, defaults={"attempt": locked, "value": clean, "first_saved_at": now, "updated_at": now,
                                 "saves": 1, "seconds_spent": spent or 0,
                                 "max_points": slot.spec.max_points},
        )
        if not created:
            answer.value = clean
            answer.updated_at = now
            answer.saves += 1
            if spent is not None:
                answer.seconds_spent = spent
            answer.save(update_fields=["value", "updated_at", "saves", "seconds_spent"])
    # A save inside the grace period leaves the attempt open: other saves sent at 0:00 may still be
    # in flight. The page's own finish call, the next request or the sweep closes it.
    return answer


def _position(position: Any) -> int:
    try:
        number = int(position)
    except (TypeError, ValueError):
        raise InvalidInput("slot", f"must be a question number (got {position!r})") from None
    if isinstance(position, bool) or isinstance(position, float) and not position.is_integer():
        raise InvalidInput("slot", f"must be a question number (got {position!r})")
    return number


def _seconds_spent(value: Any, attempt: Attempt) -> int | None:
    if value in (None, ""):
        return None
    limit = attempt.time_limit_seconds
    try:
        seconds = int(float(value))
    except (TypeError, ValueError):
        raise InvalidInput("seconds_spent", f"must be a number of seconds from 0 to {limit}") from None
    if not 0 <= seconds <= limit:
        raise InvalidInput("seconds_spent", f"must be from 0 to {limit} seconds (got {value!r})")
    return seconds


def clean_value(slot: Slot, value: Any) -> Any:
    """Check an answer against its slot's kind; returns the value to store (None clears the answer).

    Blank text (spaces, newlines) is no answer: it is stored as none and counts as unanswered."""
    if value is None or value == [] or (isinstance(value, str) and not value.strip()):
        return None
    return slot.spec.clean_answer(slot, value)


# --- finishing ---------------------------------------------------------------------------------------


def finish(owner: Owner | None, attempt_id: Any, reason: str = Attempt.FinishReason.SUBMITTED) -> Attempt:
    """Close the attempt and grade what was saved. Submitting twice grades once."""
    attempt = _owned(owner).filter(pk=_parse_uuid(attempt_id)).first()
    if attempt is None:
        raise NotFound("attempt", "no such attempt for this account or visitor")
    if clock.now() >= attempt.deadline:
        reason = Attempt.FinishReason.TIME_UP  # the page's countdown reached zero and submitted for the taker
    _close(attempt.pk, reason)
    attempt.refresh_from_db()
    return attempt


def finalize_if_expired(attempt: Attempt, now: datetime | None = None) -> Attempt:
    """Close an attempt found open past its deadline: nobody's page finished it, so it was abandoned."""
    if not attempt.is_finished and not accepts_answers(attempt, now):
        _close(attempt.pk, Attempt.FinishReason.ABANDONED)
        attempt.refresh_from_db()
    return attempt


def finalize_expired(now: datetime | None = None) -> int:
    """The periodic sweep: close every open attempt past deadline + grace. Returns how many it closed."""
    closed = 0
    expired = Attempt.objects.filter(status=Attempt.Status.IN_PROGRESS, deadline__lt=_grace_cutoff(now))
    for pk in expired.values_list("pk", flat=True):
        closed += _close(pk, Attempt.FinishReason.ABANDONED)
    return closed


def _grace_cutoff(now: datetime | None = None) -> datetime:
    """Attempts whose deadline is before this no longer accept answers."""
    return (now or clock.now()) - timedelta(seconds=conf.deadline_grace_seconds())


def _close(attempt_pk: Any, reason: str) -> bool:
    """The one state transition in_progress → finished, graded in the same transaction.

    The conditional UPDATE is the guard: of two concurrent closes, only one changes a row.
    """
    now = clock.now()
    with transaction.atomic():
        attempt = Attempt.objects.select_for_update().get(pk=attempt_pk)
        if attempt.is_finished:
            return False
        at_deadline = reason in (Attempt.FinishReason.TIME_UP, Attempt.FinishReason.ABANDONED)
        finished_at = min(now, attempt.deadline) if at_deadline else now
        won = Attempt.objects.filter(pk=attempt_pk, status=Attempt.Status.IN_PROGRESS).update(
            status=Attempt.Status.FINISHED, finish_reason=reason, finished_at=finished_at,
        )
        if not won:
            return False
        attempt.refresh_from_db()
        _grade(attempt)
        # A blank in an abandoned attempt says nothing about what the taker knows: they left (or
        # started over) before reaching it. Blanks at a deadline they were there for count as wrong.
        _schedule_reviews(attempt, now, blanks_are_wrong=reason != Attempt.FinishReason.ABANDONED)
    return True


def _grade(attempt: Attempt) -> None:
    score = max_score = 0.0
    pending = 0
    answers = {a.slot_id: a for a in Answer.objects.filter(attempt=attempt)}
    slots = list(attempt.slots.all())
    choices = choices_of(slots)
    for slot in slots:
        answer = answers.get(slot.pk)
        result = slot.spec.grade(slot, answer.value if answer else None, answer.self_score if answer else None,
                                 choices)
        score += result.points
        max_score += result.max_points
        if answer is not None and answer.value and result.is_correct is None:  # waits for the taker's own grade
            pending += 1
        if answer is not None:
            answer.points, answer.max_points, answer.is_correct = result.points, result.max_points, result.is_correct
            answer.save(update_fields=["points", "max_points", "is_correct"])
    Attempt.objects.filter(pk=attempt.pk).update(score=score, max_score=max_score, pending_self_grades=pending)


def grade_slot(slot: Slot, value: Any, self_score: int | None = None) -> grading.Grade:
    """Grade one stored answer value against its slot (unanswered counts as wrong)."""
    return slot.spec.grade(slot, value, self_score, choices_of([slot]))


def choices_of(slots: list[Slot]) -> dict[int, Choice]:
    """The options the slots show, by id, in one query (the kinds read them; they never query)."""
    ids = [pk for slot in slots for pk in slot.choice_order]
    return {choice.pk: choice for choice in Choice.objects.filter(pk__in=ids)} if ids else {}


def _schedule_reviews(attempt: Attempt, now: datetime, *, blanks_are_wrong: bool = True) -> None:
    """Feed auto-graded outcomes into the owner's FSRS cards (free text waits for its self-grade).

    A slot asked from a quiz item schedules that item's card (the same options come back in review);
    one without an item (an open question) schedules the question's card. An abandoned attempt
    (``blanks_are_wrong=False``) schedules nothing for what was left blank.
    """
    owner = Owner(user_id=attempt.user_id, anon_key=attempt.anon_key)
    for answer in Answer.objects.filter(attempt=attempt).select_related("slot__question", "slot__item"):
        slot = answer.slot
        if slot.question is None or slot.spec.self_graded:  # fed in when the taker grades it
            continue
        if answer.value is None and not blanks_are_wrong:
            continue
        rating = review.rating_for_quiz_result(answer.is_correct)
        if rating is not None:
            review.record_review(owner, slot.item or slot.question, rating, ReviewLog.Source.QUIZ, now)
    if not blanks_are_wrong:
        return
    unanswered = (attempt.slots.filter(question__isnull=False, answer__isnull=True)
                  .exclude(kind__in=kinds.self_graded_names()).select_related("question", "item"))
    for slot in unanswered:
        review.record_review(owner, slot.item or slot.question, review.rating_for_quiz_result(False),
                             ReviewLog.Source.QUIZ, now)


# --- self-grading free text --------------------------------------------------------------------------


def self_grade(owner: Owner | None, attempt_id: Any, position: Any, score: Any) -> Answer:
    """The taker grades their own open answer (0 to the kind's max points) against the model answer, after finishing."""
    attempt = get_attempt(owner, attempt_id)
    if not attempt.is_finished:
        raise AttemptClosed("attempt", "finish the attempt first: the model answer is shown only afterwards")
    slot = attempt.slots.filter(position=_position(position)).first()
    if slot is None:
        raise InvalidInput("slot", f"this attempt has questions 1 to {attempt.slots.count()} (got {position!r})")
    if not slot.spec.self_graded:
        raise InvalidInput("slot", f"question {slot.position} is graded automatically, not by you")
    top = int(slot.spec.max_points)
    try:
        points = int(score)
    except (TypeError, ValueError):
        points = -1
    if isinstance(score, bool) or not 0 <= points <= top:
        raise InvalidInput("score", f"must be a whole number from 0 to {top} (got {score!r})")
    answer = getattr(slot, "answer", None)
    if answer is None or not answer.value:
        raise InvalidInput("slot", f"question {slot.position} was not answered, so there is nothing to grade")
    first_time = answer.self_score is None
    with transaction.atomic():
        answer.self_score = points
        result = grading.grade_self_scored(points, top)
        answer.points, answer.max_points, answer.is_correct = result.points, result.max_points, result.is_correct
        answer.save(update_fields=["self_score", "points", "max_points", "is_correct"])
        _grade(attempt)
        if first_time and slot.question is not None:
            rating = review.rating_for_quiz_result(None, points)
            review.record_review(Owner(attempt.user_id, attempt.anon_key), slot.question, rating,
                                 ReviewLog.Source.QUIZ)
    return answer
