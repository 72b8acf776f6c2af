"""Per-topic mastery over time, and the small server-side SVG sparkline that draws it.

Mastery after each finished attempt is an exponential moving average of the
fraction of points scored on that topic: recent attempts count most, one bad
day does not erase a good month. Drawn as SVG in Python so the history page
needs no charting JavaScript.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from questions.exercises.progress import graded_attempts
from questions.quizzes.models import Attempt, Slot
from questions.quizzes.ownership import Owner

SMOOTHING = 0.5  # weight of the newest attempt in the moving average
WIDTH, HEIGHT, PAD = 240, 60, 4


@dataclass(frozen=True)
class TopicChart:
    topic: str
    points: list[tuple[datetime, float]]  # (finished_at, mastery 0..1)
    polyline: str  # SVG "x,y x,y ..." in a WIDTH x HEIGHT box
    latest_percent: int
    width: int = WIDTH
    height: int = HEIGHT


def mastery_series(owner: Owner | None) -> dict[str, list[tuple[datetime, float]]]:
    """Topic title → [(when, mastery)], one point per finished attempt that touched the topic
    and per graded exercise Submit on it.

    Unanswered questions count as zero; free text still waiting for its self-grade is left out.
    """
    if owner is None:
        return {}
    slots = (
        Slot.objects.filter(attempt__in=Attempt.objects.filter(owner.filter(), status=Attempt.Status.FINISHED),
                            topic__isnull=False)
        .select_related("attempt", "topic", "answer")
        .order_by("attempt__finished_at", "attempt_id", "position")
    )
    per_attempt: dict[tuple[str, str], list[float]] = {}  # (attempt, topic) -> [points, max points]
    order: list[tuple[str, str, datetime]] = []
    for slot in slots:
        answer = getattr(slot, "answer", None)
        if slot.spec.self_graded and answer is not None and answer.value and answer.self_score is None:
            continue
        key = (str(slot.attempt_id), slot.topic.title)
        if key not in per_attempt:
            per_attempt[key] = [0.0, 0.0]
            order.append((*key, slot.attempt.finished_at))
        got = per_attempt[key]
        got[0] += (answer.points or 0) if answer is not None else 0
        got[1] += answer.max_points if answer is not None else slot.spec.max_points
    # A graded exercise Submit counts like a one-point answer on its topic: passed 1, not passed 0.
    for submission, topic, graded_at, points in graded_attempts(owner):
        per_attempt[(submission, topic)] = [points, 1.0]
        order.append((submission, topic, graded_at))
    order.sort(key=lambda entry: entry[2])  # stable: quiz attempts keep their order
    series: dict[str, list[tuple[datetime, float]]] = defaultdict(list)
    for attempt_id, topic, finished_at in order:
        points, max_points = per_attempt[(attempt_id, topic)]
        fraction = points / max_points if max_points else 0.0
        history = series[topic]
        previous = history[-1][1] if history else fraction
        history.append((finished_at, SMOOTHING * fraction + (1 - SMOOTHING) * previous))
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
    charts = []
    for topic, points in sorted(mastery_series(owner).items()):
        values = [value for _, value in points]
        charts.append(TopicChart(topic=topic, points=points, polyline=polyline(values),
                                 latest_percent=round(100 * values[-1])))
    return charts
