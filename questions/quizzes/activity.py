"""Review activity by day: the history page's heatmap (weeks × weekdays, shaded by count) and the streak.

Counts every review event (quiz answers, question-page ratings, review-session grades),
by day in the site's time zone. Drawn as SVG in Python, like the mastery sparklines.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from questions.quizzes import clock
from questions.quizzes.models import ReviewCard, ReviewLog
from questions.quizzes.ownership import Owner

WEEKS = 26
CELL, GAP = 10, 2
LEFT, TOP = 26, 14  # room for the weekday labels (left) and the month labels (top)


@dataclass(frozen=True)
class Cell:
    day: date
    count: int
    level: int  # 0 (none) to 4 (busiest), for the shade
    x: int
    y: int


@dataclass(frozen=True)
class Label:
    x: int
    y: int
    text: str


@dataclass(frozen=True)
class Heatmap:
    cells: list[Cell]
    labels: list[Label]  # month names over the first week of each month, and Mon / Wed / Fri
    total: int
    active_days: int
    streak: int  # consecutive days with a review, ending today (or yesterday, if none yet today)
    width: int
    height: int
    weeks: int


def daily_counts(owner: Owner | None, since: date) -> Counter[date]:
    if owner is None:
        return Counter()
    tz = timezone.get_current_timezone()
    start = datetime.combine(since, datetime.min.time(), tzinfo=tz)
    rows = (ReviewLog.objects.filter(card__in=ReviewCard.objects.filter(owner.filter()), reviewed_at__gte=start)
            .annotate(day=TruncDate("reviewed_at", tzinfo=tz)).values("day").annotate(n=Count("id")))
    return Counter({row["day"]: row["n"] for row in rows})


def streak(counts: Counter[date], today: date) -> int:
    """Days in a row with at least one review; today without one yet does not break yesterday's streak."""
    day = today if counts.get(today) else today - timedelta(days=1)
    length = 0
    while counts.get(day):
        length += 1
        day -= timedelta(days=1)
    return length


def _level(count: int, busiest: int) -> int:
    if count == 0:
        return 0
    return min(4, 1 + (4 * (count - 1)) // max(busiest, 1))


def heatmap(owner: Owner | None, weeks: int = WEEKS) -> Heatmap:
    """The last ``weeks`` weeks, one column per week (Monday at the top), ending with today's column."""
    today = timezone.localtime(clock.now()).date()
    first = today - timedelta(days=today.weekday() + 7 * (weeks - 1))
    counts = daily_counts(owner, first)
    busiest = max(counts.values(), default=0)
    cells, labels = [], []
    for offset in range((today - first).days + 1):
        day = first + timedelta(days=offset)
        count = counts.get(day, 0)
        x, y = LEFT + (offset // 7) * (CELL + GAP), TOP + day.weekday() * (CELL + GAP)
        cells.append(Cell(day=day, count=count, level=_level(count, busiest), x=x, y=y))
        if day.weekday() == 0 and day.day <= 7 and (today - day).days >= 14:  # first Monday; not at the edge
            labels.append(Label(x=x, y=TOP - 4, text=day.strftime("%b")))
    labels += [Label(x=0, y=TOP + row * (CELL + GAP) + CELL - 1, text=name)
               for row, name in ((0, "Mon"), (2, "Wed"), (4, "Fri"))]
    return Heatmap(cells=cells, labels=labels, total=sum(counts.values()),
                   active_days=sum(1 for c in counts.values() if c), streak=streak(counts, today),
                   width=LEFT + weeks * (CELL + GAP), height=TOP + 7 * (CELL + GAP), weeks=weeks)
