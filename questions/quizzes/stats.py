"""Per-question statistics for staff: how often each option is picked and how long answers take.

Computed from finished attempts only, so a half-answered quiz in flight does not
skew the numbers.
"""
from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from questions.models import QuizItem
from questions.quizzes.models import Answer, Attempt


@dataclass
class OptionStat:
    text: str
    is_correct: bool
    chosen: int
    percent: int


@dataclass
class ItemStat:
    item: QuizItem
    asked: int
    answered: int
    correct: int
    median_seconds: float | None
    options: list[OptionStat] = field(default_factory=list)

    @property
    def percent_correct(self) -> int:
        return round(100 * self.correct / self.answered) if self.answered else 0


def item_statistics(items: list[QuizItem] | None = None) -> list[ItemStat]:
    from questions.quizzes.models import Slot

    slots = Slot.objects.filter(attempt__status=Attempt.Status.FINISHED, item__isnull=False)
    if items is not None:
        slots = slots.filter(item__in=items)
    asked: Counter[int] = Counter(slots.values_list("item_id", flat=True))
    answers = Answer.objects.filter(slot__in=slots).exclude(value__isnull=True).values_list(
        "slot__item_id", "value", "is_correct", "seconds_spent"
    )
    answered: Counter[int] = Counter()
    correct: Counter[int] = Counter()
    times: dict[int, list[int]] = defaultdict(list)
    picks: dict[int, Counter[int]] = defaultdict(Counter)
    for item_id, value, is_correct, seconds in answers:
        answered[item_id] += 1
        correct[item_id] += bool(is_correct)
        if seconds:
            times[item_id].append(seconds)
        if isinstance(value, list):
            picks[item_id].update(value)
    result = []
    for item in QuizItem.objects.filter(pk__in=asked).select_related("question").prefetch_related("choices"):
        stat = ItemStat(item=item, asked=asked[item.pk], answered=answered[item.pk], correct=correct[item.pk],
                        median_seconds=statistics.median(times[item.pk]) if times[item.pk] else None)
        for choice in item.choices.all():
            chosen = picks[item.pk][choice.pk]
            stat.options.append(OptionStat(text=choice.text, is_correct=choice.is_correct, chosen=chosen,
                                           percent=round(100 * chosen / answered[item.pk]) if answered[item.pk] else 0))
        result.append(stat)
    return sorted(result, key=lambda s: (s.item.question.title, s.item.order))
