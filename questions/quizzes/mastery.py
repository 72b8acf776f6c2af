"""Per-topic mastery over time, and the small server-side SVG sparkline that draws it.

Mastery is an exponential moving average, by day, of how well the learner did on
that topic: the fraction of quiz points scored, and review grades (again 0, hard ½,
good and easy 1) from review sessions and question pages. Quiz results also feed
review cards, but those logs are left out here: the quiz slot already counted.
Recent days count most; one bad day does not erase a good month. Drawn as SVG in
Python so pages need no charting JavaScript.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from questions.exercises.progress import graded_attempts
from questions.models import Topic
from questions.quizzes.models import Attempt, ReviewCard, ReviewLog, Slot
from questions.quizzes.ownership import Owner

SMOOTHING = 0.5  # weight of the newest day in the moving average
WIDTH, HEIGHT, PAD = 240, 60, 4
GRADE_SCORE = {1: 0.0, 2: 0.5, 3: 1.0, 4: 1.0}  # fsrs rating -> fraction of "knew it"


@dataclass(frozen=True)
class TopicChart:
    topic: str
    points: list[tuple[datetime, float]]  # (last activity of the day, mastery 0..1)
    polyline: str  # SVG "x,y x,y ..." in a WIDTH x HEIGHT box
    latest_percent: int
    slug: str = ""
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def days(self) -> int:
        return len(self.points)


Event = tuple[datetime, str, float, float]  # (when, topic title, points, max points)


def _quiz_events(owner: Owner) -> list[Event]:
    """One event per slot of the owner's finished attempts.

    Unanswered questions count as zero; free text still waiting for its self-grade is left out.
    """
    slots = (
        Slot.objects.filter(attempt__in=Attempt.objects.filter(owner.filter(), status=Attempt.Status.FINISHED),
                            topic__isnull=False)
        .select_related("attempt", "topic", "answer")
    )
    events = []
    for slot in slots:
        answer = getattr(slot, "answer", None)
        if slot.spec.self_graded and answer is not None and answer.value and answer.self_score is None:
            continue
        got = (answer.points or 0) if answer is not None else 0
        top = answer.max_points if answer is not None else slot.spec.max_points
        events.append((slot.attempt.finished_at, slot.topic.title, got, top))
    return events


def _review_events(owner: Owner) -> list[Event]:
    """One event per grade given in a review session or on a question page (quiz-fed grades are the slots)."""
    logs = (ReviewLog.objects.filter(card__in=ReviewCard.objects.filter(owner.filter(), question__isnull=False))
            .exclude(source=ReviewLog.Source.QUIZ)
            .values_list("reviewed_at", "rating", "card__question__topic__title"))
    return [(when, title, GRADE_SCORE.get(rating, 0.0), 1.0) for when, rating, title in logs]


def _exercise_events(owner: Owner) -> list[Event]:
    """A graded exercise Submit counts like a one-point answer on its topic: passed 1, not passed 0."""
    return [(when, topic, points, 1.0) for _, topic, when, points in graded_attempts(owner)]


def _events(owner: Owner) -> list[Event]:
    """Everything that says how well the learner knows a topic; another source adds its events here."""
    return _quiz_events(owner) + _review_events(owner) + _exercise_events(owner)


def mastery_series(owner: Owner | None) -> dict[str, list[tuple[datetime, float]]]:
    """Topic title → [(day, mastery)], one point per day with quiz answers or grades on the topic."""
    if owner is None:
        return {}
    per_day: dict[tuple[str, object], list[float]] = {}  # (topic, day) -> [points, max points]
    last_at: dict[tuple[str, object], datetime] = {}
    for when, topic, got, top in _events(owner):
        key = (topic, timezone.localtime(when).date())
        sums = per_day.setdefault(key, [0.0, 0.0])
        sums[0] += got
        sums[1] += top
        last_at[key] = max(last_at.get(key, when), when)
    series: dict[str, list[tuple[datetime, float]]] = defaultdict(list)
    for key in sorted(per_day):
        got, top = per_day[key]
        fraction = got / top if top else 0.0
        history = series[key[0]]
        previous = history[-1][1] if history else fraction
        history.append((last_at[key], SMOOTHING * fraction + (1 - SMOOTHING) * previous))
    return dict(series)


def polyline(values: list[float]) -> str:
    """Evenly spaced points, 0 at the bottom and 1 at the top of the box."""
    if not values:
        return ""
    if len(values) == 1:
        values = values * 2  # a single attempt draws as a flat line, not an invisible dot
    step = (WIDTH - 2 * PAD) / (len(values) - 1)
    return " ".join(
        f"{PAD + i * step:.1f},{HEIGHT - PAD - v * (HEIGHT - 2 * PAD):.1f}" for i, v in enumerate(values)
    )


def topic_charts(owner: Owner | None) -> list[TopicChart]:
    """One chart per topic studied, by title. The line starts at 0 (nothing known before the first day),
    so even a single day of study draws as a rise rather than a dot."""
    series = mastery_series(owner)
    slugs = dict(Topic.objects.filter(title__in=list(series)).values_list("title", "slug")) if series else {}
    charts = []
    for title, points in sorted(series.items()):
        values = [0.0] + [value for _, value in points]
        charts.append(TopicChart(topic=title, slug=slugs.get(title, ""), points=points, polyline=polyline(values),
                                 latest_percent=round(100 * values[-1])))
    return charts
