"""What a review card can be about: the one registry of card subjects.

A ``ReviewCard`` stores ``subject`` (a name below) and ``object_id``. Each subject is
one ``Subject`` object that knows its model, the bank question a card of it belongs
to (topic, title, retirement) and how to show the card: the prompt before Reveal
and the answer after. Everything else in the review code (scheduling, the session,
progress marks) is the same for every subject.

Adding a subject — graded exercises, say — is one subclass and one ``register()``
call (from the app's ``ready()``), then ``review.record_review(owner, exercise, ...)``.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from questions.markdown import render_markdown


@dataclass(frozen=True)
class Face:
    """A card as the review session shows it. HTML fields are already safe (rendered by ``render_markdown``)."""

    title: str
    prompt_html: SafeString
    answer_html: SafeString
    url: str  # where to read more: the question page
    label: str  # what kind of card, in words ("Question", "Quiz item")


class Subject:
    name: str = ""
    label: str = ""

    def model(self) -> type[models.Model]:
        raise NotImplementedError

    def question_id_of(self, obj: Any) -> int | None:
        """The bank question this object belongs to (its topic, title and retirement), if any."""
        raise NotImplementedError

    def load(self, ids: Iterable[int]) -> dict[int, Any]:
        """The objects behind these ids, in one query (missing ids are simply absent)."""
        return {obj.pk: obj for obj in self.model().objects.filter(pk__in=list(ids))}

    def face(self, obj: Any) -> Face:
        raise NotImplementedError


def _md(text: str) -> SafeString:
    # Safe to mark: render_markdown's output has been through the nh3 allow-list.
    return mark_safe(render_markdown(text or ""))


class QuestionSubject(Subject):
    """A bank question: recall the answer from the title alone."""

    name, label = "question", "Question"

    def model(self) -> type[models.Model]:
        from questions.models import Question

        return Question

    def question_id_of(self, obj: Any) -> int | None:
        return obj.pk

    def load(self, ids: Iterable[int]) -> dict[int, Any]:
        return {q.pk: q for q in self.model().objects.filter(pk__in=list(ids)).select_related("topic")}

    def face(self, obj: Any) -> Face:
        points = format_html_join("", "<li>{}</li>", ((p,) for p in obj.key_points))
        answer = format_html("{}{}", format_html('<h3>Key points</h3><ul>{}</ul>', points) if obj.key_points else "",
                             _md(obj.answer_md))
        return Face(title=obj.title, prompt_html=format_html("<p>{}</p>", obj.title), answer_html=answer,
                    url=obj.get_absolute_url(), label=self.label)


class QuizItemSubject(Subject):
    """One quiz item of a question: its prompt and options, then the right option(s) or value and why."""

    name, label = "item", "Quiz item"

    def model(self) -> type[models.Model]:
        from questions.models import QuizItem

        return QuizItem

    def question_id_of(self, obj: Any) -> int | None:
        return obj.question_id

    def load(self, ids: Iterable[int]) -> dict[int, Any]:
        items = self.model().objects.filter(pk__in=list(ids)).select_related("question").prefetch_related("choices")
        return {item.pk: item for item in items}

    def face(self, obj: Any) -> Face:
        from questions.kinds import format_number

        choices = list(obj.choices.all())
        options = format_html_join("", "<li>{}</li>", ((c.text,) for c in choices))
        prompt = format_html("{}{}", _md(obj.prompt), format_html('<ul class="card-options">{}</ul>', options)
                             if choices else "")
        if choices:
            right = format_html_join("", "<li>{}</li>", ((c.text,) for c in choices if c.is_correct))
            answer = format_html('<h3>Right answer</h3><ul class="card-options">{}</ul>', right)
        elif obj.numeric_answer is not None:
            answer = format_html("<h3>Right answer</h3><p>{}</p>", format_number(obj.numeric_answer, obj.unit))
        else:  # a kind answered neither by options nor by a number: its explanation is the answer
            answer = format_html("")
        answer = format_html("{}{}", answer, _md(obj.explanation))
        return Face(title=obj.question.title, prompt_html=prompt, answer_html=answer,
                    url=obj.question.get_absolute_url(), label=self.label)


SUBJECTS: dict[str, Subject] = {}


def register(subject: Subject) -> Subject:
    SUBJECTS[subject.name] = subject
    return subject


register(QuestionSubject())
register(QuizItemSubject())


def get(name: str) -> Subject:
    return SUBJECTS[name]


def subject_of(obj: Any) -> Subject:
    """The registered subject whose model ``obj`` is an instance of."""
    for subject in SUBJECTS.values():
        if isinstance(obj, subject.model()):
            return subject
    raise TypeError(f"no review card subject is registered for {type(obj).__name__}")


def faces(cards: Iterable[Any]) -> dict[int, Face]:
    """Card pk → its face, with one query per subject present (cards whose object is gone are left out)."""
    wanted: dict[str, list[Any]] = {}
    for card in cards:
        wanted.setdefault(card.subject, []).append(card)
    result = {}
    for name, group in wanted.items():
        subject = SUBJECTS.get(name)
        if subject is None:
            continue
        objects = subject.load(card.object_id for card in group)
        for card in group:
            if card.object_id in objects:
                result[card.pk] = subject.face(objects[card.object_id])
    return result
