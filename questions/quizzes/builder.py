"""Turning a request for a quiz (a ``QuizSpec``, a fixed quiz, or "my mistakes") into frozen slots.

Choosing questions, picking one auto-gradable item per question, shuffling
options and drawing drill parameters all happen here, once, at the start of an
attempt; the result is a list of unsaved ``Slot`` rows for services.py to store.
"""
from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from questions import kinds
from questions.models import Difficulty, Question, QuizItem, Topic
from questions.quizzes import conf
from questions.quizzes import drills as drill_bank
from questions.quizzes.errors import InvalidInput
from questions.quizzes.models import FixedQuiz, Slot

TITLE_MAX_CHARS = 200  # Attempt.title's column
MODES = ("mixed", "open")  # mixed: auto-graded items where a question has them; open: every question as free text


@dataclass(frozen=True)
class QuizSpec:
    """What a taker asked for. Empty ``topics``/``difficulties`` mean "all"."""

    title: str = "Custom quiz"
    topics: tuple[str, ...] = ()
    difficulties: tuple[str, ...] = ()
    count: int = 10
    drills: int = 0
    time_limit_minutes: int = 15
    mode: str = "mixed"
    drill_kinds: tuple[str, ...] = field(default=drill_bank.DRILL_KINDS)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        return {key: list(value) if isinstance(value, tuple) else value for key, value in data.items()}

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> QuizSpec:
        """Validate user input (form or JSON) into a spec; errors name the field and the allowed range."""
        topics = _string_list(data.get("topics", ()), "topics")
        known_topics = set(Topic.objects.filter(slug__in=topics).values_list("slug", flat=True))
        unknown = [slug for slug in topics if slug not in known_topics]
        if unknown:
            raise InvalidInput("topics", f"unknown topic(s): {', '.join(unknown)}")
        difficulties = _string_list(data.get("difficulties", ()), "difficulties")
        bad = [d for d in difficulties if d not in Difficulty.values]
        if bad:
            raise InvalidInput("difficulties", f"must be among {', '.join(Difficulty.values)} (got {', '.join(bad)})")
        count = _int_in(data.get("count", 10), "count", 0, conf.max_questions())
        drill_count = _int_in(data.get("drills", 0), "drills", 0, conf.max_questions())
        if count + drill_count == 0:
            raise InvalidInput("count", "ask for at least one question or one drill")
        if count + drill_count > conf.max_questions():
            raise InvalidInput("count", f"questions plus drills must be at most {conf.max_questions()}")
        minutes = _int_in(data.get("time_limit_minutes", 15), "time_limit_minutes", 1, conf.max_time_limit_minutes())
        mode = str(data.get("mode", "mixed"))
        if mode not in MODES:
            raise InvalidInput("mode", f"must be one of {', '.join(MODES)} (got {mode!r})")
        title = data.get("title") or "Custom quiz"
        if not isinstance(title, str):
            raise InvalidInput("title", "must be text")
        if len(title) > TITLE_MAX_CHARS:
            raise InvalidInput("title", f"must be at most {TITLE_MAX_CHARS} characters (got {len(title)})")
        return cls(title=title, topics=tuple(topics), difficulties=tuple(difficulties), count=count,
                   drills=drill_count, time_limit_minutes=minutes, mode=mode)


def _string_list(value: Any, name: str) -> list[str]:
    if isinstance(value, str):
        value = [value] if value else []
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise InvalidInput(name, "must be a list of strings")
    return [v for v in value if v]


def _int_in(value: Any, name: str, low: int, high: int) -> int:
    try:
        number = int(str(value).strip()) if not isinstance(value, bool) else None
    except ValueError:
        number = None
    if number is None or not low <= number <= high:
        raise InvalidInput(name, f"must be a whole number from {low} to {high} (got {value!r})")
    return number


# --- slots -----------------------------------------------------------------------------------------

@dataclass
class SlotDraft:
    """A slot before it has an attempt; services.py saves these as ``Slot`` rows."""

    kind: str
    prompt: str
    question: Question | None = None
    item: QuizItem | None = None
    choice_order: list[int] = field(default_factory=list)
    expected: float | None = None
    tolerance: float | None = None
    tolerance_mode: str = ""
    unit: str = ""
    drill: dict[str, Any] = field(default_factory=dict)


def item_slot(item: QuizItem, rng: random.Random) -> SlotDraft:
    return SlotDraft(kind=item.kind, prompt=item.prompt, question=item.question, item=item,
                     **item.spec.build_slot(item, rng))


def free_text_slot(question: Question) -> SlotDraft:
    return SlotDraft(kind=kinds.FREE.name, prompt=question.title, question=question)


def drill_slot(drill_kind: str, rng: random.Random) -> SlotDraft:
    return SlotDraft(kind=kinds.DRILL.name, **kinds.DRILL.generate(drill_kind, rng))


def retry_slot(slot: Slot, rng: random.Random) -> SlotDraft | None:
    """The slot asked again for "retry my mistakes": redrawn by its kind, else rebuilt from its item or question."""
    fresh = slot.spec.redraw(slot, rng)
    if fresh is not None:
        return SlotDraft(kind=slot.kind, **fresh)
    if slot.item is not None and slot.item.is_active:
        return item_slot(slot.item, rng)
    if slot.question is not None and slot.question.is_published:
        return free_text_slot(slot.question)
    return None


def _usable_items(question: Question) -> list[QuizItem]:
    return [item for item in question.quiz_items.all() if item.is_active]


def question_slot(question: Question, rng: random.Random, mode: str = "mixed") -> SlotDraft:
    """One slot for a bank question: one of its auto-graded items at random, else (or in "open" mode) free text."""
    items = _usable_items(question) if mode == "mixed" else []
    return item_slot(rng.choice(items), rng) if items else free_text_slot(question)


def candidate_questions(spec: QuizSpec) -> Iterable[Question]:
    questions = Question.objects.published().select_related("topic").prefetch_related(
        "quiz_items__choices"
    )
    if spec.topics:
        questions = questions.filter(topic__slug__in=spec.topics)
    if spec.difficulties:
        questions = questions.filter(difficulty__in=spec.difficulties)
    return questions


def slots_for_spec(spec: QuizSpec, rng: random.Random) -> list[SlotDraft]:
    pool = list(candidate_questions(spec))
    if spec.count and not pool and not spec.drills:
        raise InvalidInput("topics", "no questions match these topics and difficulties; widen the selection")
    chosen = rng.sample(pool, min(spec.count, len(pool)))
    slots = [question_slot(question, rng, spec.mode) for question in chosen]
    kinds = list(spec.drill_kinds) or list(drill_bank.DRILL_KINDS)
    slots += [drill_slot(rng.choice(kinds), rng) for _ in range(spec.drills)]
    return slots


def slots_for_fixed_quiz(quiz: FixedQuiz, rng: random.Random) -> list[SlotDraft]:
    slots: list[SlotDraft] = []
    # A question unpublished since the quiz was built (a draft again, retired) drops out of it.
    entries = quiz.entries.filter(question__in=Question.objects.published())
    for entry in entries.select_related("question", "item").prefetch_related("question__quiz_items__choices"):
        if entry.free_text:
            slots.append(free_text_slot(entry.question))
        elif entry.item is not None:
            slots.append(item_slot(entry.item, rng))
        else:
            slots.append(question_slot(entry.question, rng))
    if not slots:
        raise InvalidInput("quiz", f"the fixed quiz {quiz.title!r} has no questions yet")
    return slots
