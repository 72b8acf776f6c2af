"""A solved exercise joins the learner's spaced-repetition queue.

The card's prompt is the exercise's statement and signature: the review asks "could you write
this again?", so the reference solution never appears on the card. Reveal shows the hints (the
ideas that make it work) and a link to solve it again; the learner grades themselves as for a
question. A passing Submit counts as a Good review, so a freshly solved exercise comes back in a
few days, and solving it again later pushes it further out.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import fsrs
from django.db import models
from django.utils.html import format_html, format_html_join

from questions.quizzes import cards, review
from questions.quizzes.models import ReviewLog
from questions.quizzes.ownership import Owner

log = logging.getLogger(__name__)


class ExerciseSubject(cards.Subject):
    name, label = "exercise", "Exercise"

    def model(self) -> type[models.Model]:
        from questions.exercises.models import Exercise

        return Exercise

    def question_id_of(self, obj: Any) -> int | None:
        # The card's topic, title and retirement come from a bank question: the first one it practises.
        return obj.practises.order_by("pk").values_list("pk", flat=True).first()

    def load(self, ids: Iterable[int]) -> dict[int, Any]:
        return {e.pk: e for e in self.model().objects.filter(pk__in=list(ids)).select_related("topic")}

    def face(self, obj: Any) -> cards.Face:
        prompt = format_html('{}<p>Write <code>{}</code> again, without looking.</p>',
                             cards.markdown_html(obj.statement_md), obj.signature)
        hints = format_html_join("", "<li>{}</li>", ((hint,) for hint in obj.hints))
        answer = format_html('<h3>What makes it work</h3><ul>{}</ul><p><a href="{}">Solve it again</a> '
                             "to check yourself against the hidden tests.</p>", hints, obj.get_absolute_url())
        return cards.Face(title=obj.title, prompt_html=prompt, answer_html=answer,
                          url=obj.get_absolute_url(), label=self.label)


def schedule_solved(submission: Any) -> None:
    """Called once a Submit has passed: put (or move) the exercise in its owner's review queue.

    A failure here must not undo the verdict the visitor already has, so it is logged, not raised.
    """
    owner = Owner(user_id=submission.user_id, anon_key=submission.anon_key)
    try:
        review.record_review(owner, submission.exercise, fsrs.Rating.Good, ReviewLog.Source.EXERCISE)
    except Exception:
        log.exception("could not schedule the review of exercise %s", submission.exercise_id)
