"""The one-click quizzes on /quiz/: one per topic, a mock interview, drills, and staff-built fixed quizzes.

Presets are computed from what is in the database (a topic without questions
gets no preset), so the page never offers a quiz that cannot start.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count

from questions.models import Topic, published_filter
from questions.quizzes.builder import QuizSpec
from questions.quizzes.models import FixedQuiz

TOPIC_QUESTIONS = 10
TOPIC_MINUTES = 15
MOCK_INTERVIEW = QuizSpec(title="Mock interview", count=5, time_limit_minutes=30, mode="open")
DRILLS = QuizSpec(title="Back-of-the-envelope drills", count=0, drills=5, time_limit_minutes=10)


@dataclass(frozen=True)
class Preset:
    key: str
    title: str
    description: str
    spec: QuizSpec
    question_count: int
    minutes: int
    topic_slug: str = ""
    fixed_quiz_id: int | None = None


def topic_presets() -> list[Preset]:
    topics = Topic.objects.annotate(active=Count("questions", filter=published_filter("questions__"))).filter(active__gt=0)
    presets = []
    for topic in topics:
        count = min(TOPIC_QUESTIONS, topic.active)
        spec = QuizSpec(title=topic.title, topics=(topic.slug,), count=count, time_limit_minutes=TOPIC_MINUTES)
        presets.append(Preset(
            key=f"topic-{topic.slug}", title=topic.title, topic_slug=topic.slug, spec=spec, question_count=count,
            minutes=TOPIC_MINUTES, description=f"{count} question{'s' if count != 1 else ''} / {TOPIC_MINUTES} minutes",
        ))
    return presets


def special_presets() -> list[Preset]:
    """The mock interview (only when the bank has questions) and the generated drills (always)."""
    from questions.models import Question

    presets = []
    active = Question.objects.published().count()
    if active:
        count = min(MOCK_INTERVIEW.count, active)
        presets.append(Preset(
            key="mock-interview", title="Mock interview", spec=MOCK_INTERVIEW, question_count=count,
            minutes=MOCK_INTERVIEW.time_limit_minutes,
            description=f"{count} open questions / {MOCK_INTERVIEW.time_limit_minutes} minutes; "
            "you grade yourself against the model answer and key points",
        ))
    presets.append(Preset(
        key="drills", title=DRILLS.title, spec=DRILLS, question_count=DRILLS.drills, minutes=DRILLS.time_limit_minutes,
        description=f"{DRILLS.drills} generated numeric drills / {DRILLS.time_limit_minutes} minutes: KV-cache size, "
        "parameter count, attention FLOPs, bandwidth-bound tokens/s",
    ))
    return presets


def fixed_quiz_presets() -> list[Preset]:
    quizzes = FixedQuiz.objects.filter(is_listed=True).annotate(n=Count("entries")).filter(n__gt=0)
    return [
        Preset(key=f"fixed-{quiz.slug}", title=quiz.title, spec=QuizSpec(title=quiz.title, count=quiz.n,
               time_limit_minutes=quiz.time_limit_minutes), question_count=quiz.n, minutes=quiz.time_limit_minutes,
               description=quiz.description or f"{quiz.n} questions / {quiz.time_limit_minutes} minutes",
               fixed_quiz_id=quiz.pk)
        for quiz in quizzes
    ]


def all_presets() -> list[Preset]:
    return special_presets() + fixed_quiz_presets() + topic_presets()


def get_preset(key: str) -> Preset | None:
    if key.startswith("fixed-"):
        return next((p for p in fixed_quiz_presets() if p.key == key), None)
    if key.startswith("topic-"):
        return next((p for p in topic_presets() if p.key == key), None)
    return next((p for p in special_presets() if p.key == key), None)
