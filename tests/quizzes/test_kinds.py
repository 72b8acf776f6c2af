"""The kinds registry is the one list of kinds: models, templates and validation all read it."""
from __future__ import annotations

from typing import Any

import pytest
from django.template.loader import get_template

from questions import kinds
from questions.models import QuizItem
from questions.parsed import ParsedChoice, ParsedQuizItem
from questions.quizzes import services
from questions.quizzes.errors import InvalidInput
from questions.quizzes.models import Slot

from .conftest import ALL_FOUR


def test_model_choices_come_from_the_registry() -> None:
    assert [name for name, _ in QuizItem._meta.get_field("kind").choices] == list(kinds.authored_names())
    assert [name for name, _ in Slot._meta.get_field("kind").choices] == list(kinds.REGISTRY)
    assert set(kinds.authored_names()) == {"single", "multiple", "numeric"}
    assert kinds.self_graded_names() == ("free",)


@pytest.mark.parametrize("name", list(kinds.REGISTRY))
def test_every_kind_has_a_template_and_an_answer_input(name: str) -> None:
    spec = kinds.get(name)
    assert get_template(spec.template)
    assert spec.answer_input in ("one", "many", "text")
    assert spec.max_points > 0


def test_problems_name_the_field_they_are_about() -> None:
    unknown = ParsedQuizItem(kind="essay", prompt="p")
    assert kinds.item_problems(unknown) == [("kind", "must be one of single, multiple, numeric, got 'essay'")]
    two_right = ParsedQuizItem(kind="single", prompt="p", choices=(ParsedChoice("a", True), ParsedChoice("b", True)))
    assert [p.field for p in kinds.item_problems(two_right)] == ["choices"]
    numeric = ParsedQuizItem(kind="numeric", prompt="p", numeric_answer=None, tolerance=0, tolerance_mode="percent")
    assert [p.field for p in kinds.item_problems(numeric)] == ["numeric_answer", "tolerance", "tolerance_mode"]


def test_option_ids_are_per_attempt_tokens(quiz_bank: Any, alice_owner: Any, rng: Any) -> None:
    first = services.start_attempt(alice_owner, ALL_FOUR, rng)
    second = services.start_attempt(alice_owner, ALL_FOUR, rng)
    right = quiz_bank.correct_ids(quiz_bank.single)[0]
    assert quiz_bank.token(first, right) != quiz_bank.token(second, right)
    position = first.slots.get(kind="single").position
    # A token from another attempt, or a raw database id, is not an option of this one.
    for foreign in (quiz_bank.token(second, right), str(right)):
        with pytest.raises(InvalidInput, match="not one of this question's options"):
            services.save_answer(alice_owner, first.pk, position, foreign)
    answer = services.save_answer(alice_owner, first.pk, position, quiz_bank.token(first, right))
    assert answer.value == [right]  # stored as the database id, server-side only
