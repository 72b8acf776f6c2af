"""Spaced repetition: one FSRS card per (learner, subject), fed by quizzes, self-ratings and review sessions.

The memory model is the ``fsrs`` package's; this module maps our events to its
ratings, persists ``fsrs.Card`` as JSON on ``ReviewCard``, previews what each
rating would do (the intervals printed on the buttons) and runs the review
session's rules: which card is next, which grades are accepted, and that a grade
sent twice counts once.

Two schedulers, deliberately:

* ``SESSION`` has minute-scale learning and relearning steps, as Anki does: a new
  card graded Again comes back in 1 minute, then Good in 10; a known card graded
  Again relearns in 10 minutes. It schedules every grade in a review session, and
  every *failure* anywhere (a wrong quiz answer, Again on a question page): what
  you just got wrong is due again in minutes, so the next session starts with it.
* ``DAILY`` has none, and schedules success outside a session (a right quiz
  answer, Hard/Good/Easy on a question page): there is no session to take a
  10-minute step in, and the learner has just shown they know it, so the card goes
  straight to whole days (hard: 1 day, good: 2, easy: 8 for a new card).

A card in a learning step rated through ``DAILY`` simply graduates (fsrs does that
when no steps are left). Fuzzing spreads due dates at random; it is off in both,
so a learner (and a test) sees the interval FSRS computed.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import fsrs
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils.crypto import constant_time_compare, salted_hmac

from prep_site.web.errors import FieldError
from questions.models import published_filter
from questions.quizzes import cards, clock
from questions.quizzes.models import ReviewCard, ReviewLog
from questions.quizzes.ownership import Owner

RATINGS = {  # form value -> (fsrs rating, label shown on the question page's buttons)
    "again": (fsrs.Rating.Again, "Again — I did not know it"),
    "hard": (fsrs.Rating.Hard, "Hard — with effort"),
    "good": (fsrs.Rating.Good, "Good — I knew it"),
    "easy": (fsrs.Rating.Easy, "Easy — instantly"),
}

LEARNING_STEPS = (timedelta(minutes=1), timedelta(minutes=10))
RELEARNING_STEPS = (timedelta(minutes=10),)
# With nothing due, a session shows a card in a learning step this early rather than making the
# learner wait out its last minutes (Anki's "learn ahead limit" has the same default).
LEARN_AHEAD = timedelta(minutes=20)

SESSION = fsrs.Scheduler(enable_fuzzing=False, learning_steps=LEARNING_STEPS, relearning_steps=RELEARNING_STEPS)
DAILY = fsrs.Scheduler(enable_fuzzing=False, learning_steps=(), relearning_steps=())
_IN_STEPS = (fsrs.State.Learning, fsrs.State.Relearning)


class InvalidRating(ValueError):
    pass


class ReviewRefused(FieldError):
    """A grade the session does not accept; nothing was changed (400 unless the subclass says otherwise)."""


class NotYourCard(ReviewRefused):
    status = 403


class NoSuchCard(ReviewRefused):
    status = 404


def parse_rating(value: str) -> fsrs.Rating:
    try:
        return RATINGS[value][0]
    except KeyError:
        raise InvalidRating(f"rating must be one of {', '.join(RATINGS)} (got {value!r})") from None


def rating_for_quiz_result(is_correct: bool | None, self_score: int | None = None) -> fsrs.Rating | None:
    """How a quiz outcome counts as a review: right → Good, wrong → Again; free text by its 0–2 self-grade."""
    if self_score is not None:
        return (fsrs.Rating.Again, fsrs.Rating.Hard, fsrs.Rating.Good)[self_score]
    if is_correct is None:
        return None
    return fsrs.Rating.Good if is_correct else fsrs.Rating.Again


def scheduler_for(source: str, rating: fsrs.Rating) -> fsrs.Scheduler:
    return SESSION if source == ReviewLog.Source.REVIEW or rating == fsrs.Rating.Again else DAILY


def _memory(card: ReviewCard | None, when: datetime) -> fsrs.Card:
    return fsrs.Card.from_dict(card.fsrs_state) if card and card.fsrs_state else fsrs.Card(due=when)


# --- showing what each grade would do ---------------------------------------------------------------


def format_interval(delta: timedelta) -> str:
    """A short duration as a button shows it: "1 min", "10 min", "3 h", "2 days", "1.5 months"."""
    minutes = max(1, round(delta.total_seconds() / 60))
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 24 * 60:
        return f"{round(minutes / 60)} h"
    days = delta.total_seconds() / 86400
    if days < 30.5:
        whole = round(days)
        return f"{whole} day{'s' if whole != 1 else ''}"
    if days < 365:
        return f"{days / 30.4:.1f} months".replace(".0 ", " ")
    return f"{days / 365:.1f} years".replace(".0 ", " ")


@dataclass(frozen=True)
class Choice:
    value: str  # the form value ("again" ...)
    key: int  # its keyboard shortcut, 1-4
    name: str  # "Again"
    label: str  # the question page's longer label
    due: datetime
    interval: str


def preview(card: ReviewCard | None, source: str, when: datetime | None = None) -> list[Choice]:
    """What each rating would do to ``card`` now, computed by the scheduler and saved nowhere."""
    when = when or clock.now()
    choices = []
    for key, (value, (rating, label)) in enumerate(RATINGS.items(), start=1):
        after, _log = scheduler_for(source, rating).review_card(_memory(card, when), rating, review_datetime=when)
        choices.append(Choice(value=value, key=key, name=rating.name, label=label, due=after.due,
                              interval=format_interval(after.due - when)))
    return choices


# --- idempotency: a grade carries the card's version it was shown at ---------------------------------


def grade_token(subject: str, object_id: int, reviews: int) -> str:
    """The token a card's grade form carries: its review count when shown, signed against tampering."""
    mac = salted_hmac("quizzes.review.grade", f"{subject}:{object_id}:{reviews}").hexdigest()[:16]
    return f"{reviews}.{mac}"


def token_for(card: ReviewCard | None, obj: Any = None) -> str:
    if card is not None:
        return grade_token(card.subject, card.object_id, card.reviews)
    return grade_token(cards.subject_of(obj).name, obj.pk, 0)


def _token_version(subject: str, object_id: int, token: str) -> int:
    version, _, _mac = (token or "").partition(".")
    if not version.isdigit() or not constant_time_compare(grade_token(subject, object_id, int(version)), token):
        raise ReviewRefused("token", "The grade came without a valid review token; reload the card and grade "
                                     "it again. Nothing was changed.")
    return int(version)


def card_for(owner: Owner | None, obj: Any) -> ReviewCard | None:
    """The owner's card for ``obj``, if they have one."""
    if owner is None:
        return None
    return ReviewCard.objects.filter(owner.filter(), subject=cards.subject_of(obj).name, object_id=obj.pk).first()


def token_version_for(obj: Any, token: str) -> int:
    """The card version a grade token for ``obj`` was issued at (``ReviewRefused`` when damaged)."""
    return _token_version(cards.subject_of(obj).name, obj.pk, token)


# --- recording ---------------------------------------------------------------------------------------


def _apply(card: ReviewCard, rating: fsrs.Rating, source: str, when: datetime) -> None:
    memory, _log = scheduler_for(source, rating).review_card(_memory(card, when), rating, review_datetime=when)
    card.fsrs_state = memory.to_dict()
    card.due = memory.due
    card.last_review = when
    card.reviews += 1
    card.lapses += rating == fsrs.Rating.Again


def record_review(owner: Owner, obj: Any, rating: fsrs.Rating, source: str, when: datetime | None = None,
                  *, expected_reviews: int | None = None) -> ReviewCard:
    """Apply one rating to the owner's card for ``obj`` (a question, a quiz item, any registered subject),
    creating the card on first sight. This is the call that puts something into the review queue.

    With ``expected_reviews`` (from a grade token) the rating counts only if the card still has that
    many reviews: a second post of the same grade finds one more and changes nothing.
    """
    when = when or clock.now()
    subject = cards.subject_of(obj)
    with transaction.atomic():
        card = (ReviewCard.objects.select_for_update()
                .filter(owner.filter(), subject=subject.name, object_id=obj.pk).first())
        if expected_reviews is not None and (card.reviews if card else 0) != expected_reviews:
            if card is None:  # a token for a card this visitor does not have (another identity, a stale page)
                raise ReviewRefused("token", "This page is out of date for you; reload it and rate again. "
                                             "Nothing was changed.")
            return card  # already counted
        is_new = card is None
        if card is None:
            card = ReviewCard(subject=subject.name, object_id=obj.pk, question_id=subject.question_id_of(obj),
                              **owner.fields())
        _apply(card, rating, source, when)
        if is_new:
            try:
                with transaction.atomic():
                    card.save()
            except IntegrityError:  # the same first grade, posted twice at once: the other one counted
                return ReviewCard.objects.get(owner.filter(), subject=subject.name, object_id=obj.pk)
        elif not _save_if_unchanged(card, card.reviews - 1):  # a concurrent grade of this version won
            card.refresh_from_db()
            return card
        ReviewLog.objects.create(card=card, rating=int(rating), source=source, reviewed_at=when)
    return card


def _save_if_unchanged(card: ReviewCard, was_reviews: int) -> bool:
    """Compare-and-set on the review count, so two concurrent grades of one version cannot both count."""
    fields = {name: getattr(card, name) for name in ("fsrs_state", "due", "last_review", "reviews", "lapses")}
    return bool(ReviewCard.objects.filter(pk=card.pk, reviews=was_reviews).update(**fields))


@dataclass(frozen=True)
class Graded:
    card: ReviewCard
    counted: bool  # False: this grade had already been recorded (a double click or a retry)


def grade(owner: Owner | None, card_id: Any, value: str, token: str, when: datetime | None = None) -> Graded:
    """A grade from the review session, checked before anything is written.

    Refused with a sentence: an unknown rating or a damaged token (400), a card of another learner (403),
    a card that is not due (400). A token whose version the card has already passed is the same grade
    sent again: it is answered as success and counted once.
    """
    when = when or clock.now()
    if value not in RATINGS:
        raise ReviewRefused("rating", f"The grade must be one of {', '.join(RATINGS)} (got {value!r}); "
                                      "nothing was changed.")
    try:
        card = ReviewCard.objects.get(pk=int(card_id))
    except (ValueError, TypeError, ReviewCard.DoesNotExist):
        raise NoSuchCard("card", f"There is no review card {card_id!r}; nothing was changed.") from None
    if owner is None or not ReviewCard.objects.filter(owner.filter(), pk=card.pk).exists():
        raise NotYourCard("card", "This card belongs to another learner; nothing was changed.")
    version = _token_version(card.subject, card.object_id, token)
    if version != card.reviews:
        return Graded(card=card, counted=False)
    if card.due > when + LEARN_AHEAD:
        raise ReviewRefused("card", f"This card is not due until {card.due:%d %b %Y %H:%M} UTC; "
                                    "nothing was changed.")
    with transaction.atomic():
        _apply(card, RATINGS[value][0], ReviewLog.Source.REVIEW, when)
        if not _save_if_unchanged(card, version):
            card.refresh_from_db()
            return Graded(card=card, counted=False)
        ReviewLog.objects.create(card=card, rating=int(RATINGS[value][0]), source=ReviewLog.Source.REVIEW,
                                 reviewed_at=when)
    return Graded(card=card, counted=True)


# --- the queue and the session --------------------------------------------------------------------


def _active() -> Q:
    return Q(question__isnull=True) | published_filter("question__")


def due_cards(owner: Owner, when: datetime | None = None) -> QuerySet[ReviewCard]:
    """Every card due by ``when``, most overdue first, retired questions left out."""
    when = when or clock.now()
    return (
        ReviewCard.objects.filter(owner.filter(), _active(), due__lte=when)
        .select_related("question", "question__topic")
        .order_by("due", "pk")
    )


def due_count(owner: Owner | None, when: datetime | None = None) -> int:
    if owner is None:
        return 0
    return due_cards(owner, when).count()


def in_steps(card: ReviewCard) -> bool:
    return fsrs.Card.from_dict(card.fsrs_state).state in _IN_STEPS if card.fsrs_state else False


@dataclass(frozen=True)
class SessionCard:
    card: ReviewCard
    face: cards.Face
    token: str
    choices: list[Choice]


def next_card(owner: Owner | None, when: datetime | None = None, *, after: int | None = None) -> SessionCard | None:
    """The card to show now: the most overdue one; with none due, one in a learning step due within
    ``LEARN_AHEAD`` (so a failed card comes back in the same session instead of after a wait).

    ``after`` (a card pk) is shown last when anything else qualifies, so a card graded Again does not
    return immediately while others wait.
    """
    if owner is None:
        return None
    when = when or clock.now()
    candidates = list(due_cards(owner, when + LEARN_AHEAD)[:50])
    now_due = [c for c in candidates if c.due <= when]
    ahead = [c for c in candidates if c.due > when and in_steps(c)]
    queue = now_due + ahead
    if after is not None and len(queue) > 1:
        queue.sort(key=lambda c: c.pk == after)  # stable: keeps the due order otherwise
    faces = cards.faces(queue)
    for card in queue:
        if card.pk in faces:
            return SessionCard(card=card, face=faces[card.pk], token=token_for(card),
                               choices=preview(card, ReviewLog.Source.REVIEW, when))
    return None


@dataclass(frozen=True)
class Summary:
    cards: int  # distinct cards graded
    answers: int  # grades given (a relearned card counts each time)
    retention_percent: int | None  # share of grades that were not "Again"
    next_due: ReviewCard | None


def session_summary(owner: Owner | None, since: datetime, when: datetime | None = None) -> Summary:
    """What the session since ``since`` did, and when the next card is due."""
    if owner is None:
        return Summary(0, 0, None, None)
    when = when or clock.now()
    logs = list(ReviewLog.objects.filter(card__in=ReviewCard.objects.filter(owner.filter()),
                                         source=ReviewLog.Source.REVIEW, reviewed_at__gte=since,
                                         reviewed_at__lte=when).values_list("card_id", "rating"))
    passed = sum(1 for _card, rating in logs if rating != fsrs.Rating.Again)
    upcoming = ReviewCard.objects.filter(owner.filter(), _active(), due__gt=when).order_by("due").first()
    return Summary(cards=len({card for card, _ in logs}), answers=len(logs),
                   retention_percent=round(100 * passed / len(logs)) if logs else None, next_due=upcoming)
