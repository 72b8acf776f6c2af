"""The kinds of quiz item, each one spec object: the only list of kinds on the site.

A kind says how an item of it is validated (``problems``), frozen into an
attempt's slot (``build_slot``), answered (``answer_input``, ``clean_answer``),
graded (``grade``, ``max_points``), shown while taking and after finishing
(``present``, ``present_result``, ``template``) and published without its answer
(``public``). The models take their choices from ``REGISTRY``; services,
presenters, admin, API, templates and the bank test ask the spec instead of
comparing kind names. Adding a kind means one spec here, one template under
``templates/quizzes/kinds/`` (or reusing one) and its tests; the models' choices
are callables into this registry, so no migration either.

*Authored* kinds are written in the bank, the admin and imported files
(``QuizItem.kind``); the others exist only as slots (open questions, generated
drills). Specs touch no database: the caller passes the options they need.

Option identifiers never leave the server as database ids: inside an attempt an
option is an HMAC of (attempt, option), so ids say nothing about which option was
stored first, and the public API uses an HMAC of (item, option).
"""
from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django.utils.crypto import salted_hmac

from questions.markdown import render_markdown
from questions.parsed import FieldProblem, ParsedQuizItem
from questions.quizzes import conf, drills, grading
from questions.quizzes.errors import InvalidInput

if TYPE_CHECKING:  # annotations only: the specs read attributes, never query
    from questions.models import Choice, Question, QuizItem
    from questions.quizzes.models import Answer, Slot

TOLERANCE_MODES = ("relative", "absolute")


def choice_token(attempt_id: object, choice_id: int) -> str:
    """An option's id inside one attempt: stable for that attempt, unrelated to the database id."""
    return salted_hmac("quizzes.choice", f"{attempt_id}:{choice_id}").hexdigest()[:16]


def public_choice_id(item_id: int, choice_id: int) -> str:
    """An option's id in the public question API (stable across requests, unrelated to storage order)."""
    return salted_hmac("questions.choice", f"{item_id}:{choice_id}").hexdigest()[:12]


def _finite(value: object) -> bool:
    # bool is an int subclass; `answer: true` in YAML is a mistake, not the number 1.
    return not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)


class Kind:
    """The behaviour every kind shares; subclasses override what differs."""

    name: str = ""
    label: str = ""
    authored: bool = True  # a QuizItem kind (bank, admin, importers); False: only ever a slot
    max_points: float = 1
    self_graded: bool = False  # the taker grades it after finishing (score 0..max_points)
    answer_input: str = "text"  # how a form sends the answer: "one" option, "many" options, or "text"
    template: str = ""  # renders the slot while taking (mode "take") and in the results (mode "result")

    # --- authoring ------------------------------------------------------------------------------
    def problems(self, item: ParsedQuizItem) -> list[FieldProblem]:
        """What is wrong with an item of this kind, each problem with the field it is about."""
        return []

    # --- building a slot ------------------------------------------------------------------------
    def build_slot(self, item: QuizItem, rng: random.Random) -> dict[str, Any]:
        """The slot fields an attempt freezes for ``item`` (beyond kind, prompt, question and item)."""
        return {}

    def redraw(self, slot: Slot, rng: random.Random) -> dict[str, Any] | None:
        """Fresh slot fields for "retry my mistakes", or None to rebuild from the slot's item or question."""
        return None

    # --- answering and grading ------------------------------------------------------------------
    def clean_answer(self, slot: Slot, value: Any) -> Any:
        """The value to store for an answer given as the form or API sends it; raises InvalidInput("value")."""
        raise NotImplementedError

    def grade(self, slot: Slot, value: Any, self_score: int | None, choices: Mapping[int, Choice]) -> grading.Grade:
        raise NotImplementedError

    # --- presenting -----------------------------------------------------------------------------
    def present_value(self, slot: Slot, value: Any) -> Any:
        """A stored answer as the taker sent it (options as their per-attempt tokens)."""
        return value

    def present(self, slot: Slot, choices: Sequence[Choice]) -> dict[str, Any]:
        """Extra keys of the slot while it is being answered: nothing that reveals the answer."""
        return {}

    def present_result(self, slot: Slot, answer: Answer | None, choices: Sequence[Choice]) -> dict[str, Any]:
        """Extra keys of the slot in the results: the right answer and why."""
        return {}

    def public(self, item: QuizItem) -> dict[str, Any]:
        """Extra keys of an item in the public question API: never the answer."""
        return {}


class ChoiceKind(Kind):
    """Options, one or several of them right.

    Single choice is all-or-nothing. Multiple choice gives partial credit: (right picks − wrong
    picks) / right options, floored at 0 (grading.grade_multiple; the take page states the rule).
    """

    template = "quizzes/kinds/choice.html"

    def __init__(self, name: str, label: str, many: bool) -> None:
        self.name, self.label, self.many = name, label, many
        self.answer_input = "many" if many else "one"

    def problems(self, item: ParsedQuizItem) -> list[FieldProblem]:
        flags = [choice.correct for choice in item.choices]
        correct = sum(flags)
        found: list[FieldProblem] = []
        if len(flags) < 2:
            found.append(FieldProblem("choices", f"a {self.name}-choice item needs at least two options "
                                                 f"(found {len(flags)})"))
        if not self.many and correct != 1:
            found.append(FieldProblem("choices", f"a single-choice item needs exactly one correct option "
                                                 f"(found {correct})"))
        if self.many and correct < 1:
            found.append(FieldProblem("choices", "a multiple-choice item needs at least one correct option (found 0)"))
        return found

    def build_slot(self, item: QuizItem, rng: random.Random) -> dict[str, Any]:
        order = [choice.pk for choice in item.choices.all()]
        rng.shuffle(order)  # a new order per attempt, stored so a reload shows the same one
        return {"choice_order": order}

    def _token_map(self, slot: Slot) -> dict[str, int]:
        return {choice_token(slot.attempt_id, pk): pk for pk in slot.choice_order}

    def clean_answer(self, slot: Slot, value: Any) -> list[int]:
        tokens = value if isinstance(value, list) else [value]
        if not all(isinstance(token, str) for token in tokens):
            raise InvalidInput("value", "must be the id of an option, or a list of option ids")
        by_token = self._token_map(slot)
        outside = [token for token in tokens if token not in by_token]
        if outside:
            raise InvalidInput("value", f"option {outside[0][:40]!r} is not one of this question's options")
        chosen = sorted({by_token[token] for token in tokens})
        if not self.many and len(chosen) > 1:
            raise InvalidInput("value", "this question takes exactly one option")
        return chosen

    def grade(self, slot: Slot, value: Any, self_score: int | None, choices: Mapping[int, Choice]) -> grading.Grade:
        correct = {pk for pk in slot.choice_order if pk in choices and choices[pk].is_correct}
        return grading.grade_multiple(value, correct) if self.many else grading.grade_single(value, correct)

    def present_value(self, slot: Slot, value: Any) -> Any:
        if value is None:
            return None
        return [choice_token(slot.attempt_id, pk) for pk in value]

    def present(self, slot: Slot, choices: Sequence[Choice]) -> dict[str, Any]:
        return {"choices": [{"id": choice_token(slot.attempt_id, c.pk), "html": render_markdown(c.text)}
                            for c in choices],
                "scoring_rule": grading.MULTIPLE_CHOICE_RULE if self.many else ""}

    def present_result(self, slot: Slot, answer: Answer | None, choices: Sequence[Choice]) -> dict[str, Any]:
        chosen = set(answer.value or []) if answer is not None else set()
        return {"choices": [
            {"id": choice_token(slot.attempt_id, c.pk), "html": render_markdown(c.text), "is_correct": c.is_correct,
             "chosen": c.pk in chosen, "explanation_html": render_markdown(c.explanation) if c.explanation else ""}
            for c in choices
        ]}

    def public(self, item: QuizItem) -> dict[str, Any]:
        return {"choices": [{"id": public_choice_id(item.pk, c.pk), "text_html": render_markdown(c.text)}
                            for c in item.choices.all()]}


class NumberKind(Kind):
    """A number within a tolerance of the expected value."""

    answer_input = "text"
    template = "quizzes/kinds/number.html"

    def expected_value(self, slot: Slot) -> float:
        return float(slot.expected) if slot.expected is not None else float("nan")

    def clean_answer(self, slot: Slot, value: Any) -> float:
        try:
            return grading.parse_number(value)
        except grading.InvalidNumber as exc:
            unit = f" (in {slot.unit})" if slot.unit else ""
            raise InvalidInput("value", f"The answer{unit} {exc}") from None

    def grade(self, slot: Slot, value: Any, self_score: int | None, choices: Mapping[int, Choice]) -> grading.Grade:
        return grading.grade_numeric(value, self.expected_value(slot), slot.tolerance or 0,
                                     slot.tolerance_mode or "relative")

    def present_result(self, slot: Slot, answer: Answer | None, choices: Sequence[Choice]) -> dict[str, Any]:
        expected = self.expected_value(slot)
        value = answer.value if answer is not None else None
        return {
            "expected": expected,
            "expected_text": format_number(expected, slot.unit),
            "your_answer_text": format_number(value, slot.unit) if value is not None else "",
            "tolerance_text": _tolerance_text(slot),
        }

    def public(self, item: QuizItem) -> dict[str, Any]:
        return {"unit": item.unit}


class NumericKind(NumberKind):
    name, label = "numeric", "Numeric"

    def problems(self, item: ParsedQuizItem) -> list[FieldProblem]:
        found: list[FieldProblem] = []
        if not _finite(item.numeric_answer):
            found.append(FieldProblem("numeric_answer", f"a numeric item needs a numeric answer "
                                                        f"(got {item.numeric_answer!r})"))
        if not _finite(item.tolerance) or float(item.tolerance) <= 0:  # type: ignore[arg-type]
            found.append(FieldProblem("tolerance", f"a numeric item needs a positive tolerance (got {item.tolerance!r})"))
        if item.tolerance_mode not in TOLERANCE_MODES:
            found.append(FieldProblem("tolerance_mode", f"tolerance_mode must be one of {', '.join(TOLERANCE_MODES)} "
                                                        f"(got {item.tolerance_mode!r})"))
        if item.choices:
            found.append(FieldProblem("choices", "a numeric item has an answer and a tolerance, not options"))
        return found

    def build_slot(self, item: QuizItem, rng: random.Random) -> dict[str, Any]:
        return {"expected": item.numeric_answer, "tolerance": item.tolerance, "tolerance_mode": item.tolerance_mode,
                "unit": item.unit}


class DrillKind(NumberKind):
    """A generated back-of-the-envelope calculation; its answer is recomputed by engine.formulas."""

    name, label = "drill", "Generated numeric drill"
    authored = False

    def generate(self, drill_kind: str, rng: random.Random) -> dict[str, Any]:
        drill = drills.generate(drill_kind, rng)
        return {"prompt": drill.prompt, "expected": drill.expected, "tolerance": drill.tolerance,
                "tolerance_mode": "relative", "unit": drill.unit, "drill": {"kind": drill.kind, "params": drill.params}}

    def redraw(self, slot: Slot, rng: random.Random) -> dict[str, Any]:
        return self.generate(slot.drill["kind"], rng)  # new numbers of the same kind of drill

    def expected_value(self, slot: Slot) -> float:
        return drills.expected_value(slot.drill["kind"], slot.drill["params"])

    def present_result(self, slot: Slot, answer: Answer | None, choices: Sequence[Choice]) -> dict[str, Any]:
        return {**super().present_result(slot, answer, choices),
                "explanation_html": render_markdown(drills.explanation(slot.drill["kind"])), "drill": slot.drill}


class FreeTextKind(Kind):
    """An open question, answered in words and graded by the taker against the model answer (0–2)."""

    name, label = "free", "Free text (self-graded)"
    authored = False
    self_graded = True
    max_points = 2
    template = "quizzes/kinds/free.html"

    def clean_answer(self, slot: Slot, value: Any) -> str:
        if not isinstance(value, str):
            raise InvalidInput("value", "must be text")
        limit = conf.max_free_text_chars()
        if len(value) > limit:
            raise InvalidInput("value", f"must be at most {limit} characters (got {len(value)})")
        return value

    def grade(self, slot: Slot, value: Any, self_score: int | None, choices: Mapping[int, Choice]) -> grading.Grade:
        if not value:
            return grading.Grade(0, self.max_points, False)
        return grading.grade_self_scored(self_score, int(self.max_points))

    def present_result(self, slot: Slot, answer: Answer | None, choices: Sequence[Choice]) -> dict[str, Any]:
        question: Question | None = slot.question
        return {
            "self_score": answer.self_score if answer is not None else None,
            "key_points": list(question.key_points) if question else [],
            "model_answer_html": render_markdown(question.answer_md) if question else "",
        }


SINGLE = ChoiceKind("single", "Single choice", many=False)
MULTIPLE = ChoiceKind("multiple", "Multiple choice", many=True)
NUMERIC = NumericKind()
FREE = FreeTextKind()
DRILL = DrillKind()

REGISTRY: dict[str, Kind] = {kind.name: kind for kind in (SINGLE, MULTIPLE, NUMERIC, FREE, DRILL)}


def get(name: str) -> Kind:
    """The spec for ``name``; raises KeyError for a kind the site does not know."""
    return REGISTRY[name]


def authored() -> list[Kind]:
    return [kind for kind in REGISTRY.values() if kind.authored]


def authored_names() -> tuple[str, ...]:
    return tuple(kind.name for kind in authored())


def self_graded_names() -> tuple[str, ...]:
    return tuple(kind.name for kind in REGISTRY.values() if kind.self_graded)


def item_choices() -> list[tuple[str, str]]:
    """Choices for ``QuizItem.kind``: the kinds an author can write."""
    return [(kind.name, kind.label) for kind in authored()]


def slot_choices() -> list[tuple[str, str]]:
    """Choices for ``Slot.kind``: every kind."""
    return [(kind.name, kind.label) for kind in REGISTRY.values()]


def item_problems(item: ParsedQuizItem) -> list[FieldProblem]:
    """Everything wrong with a parsed item, starting with its kind (the bank, the importers and the admin use this)."""
    if item.kind not in authored_names():
        return [FieldProblem("kind", f"must be one of {', '.join(authored_names())}, got {item.kind!r}")]
    return get(item.kind).problems(item)


def format_number(value: float | None, unit: str) -> str:
    if value is None:
        return ""
    text = f"{value:,.0f}" if abs(value) >= 1000 and float(value).is_integer() else f"{value:.6g}"
    return f"{text} {unit}".strip()


def _tolerance_text(slot: Slot) -> str:
    if slot.tolerance is None:
        return ""
    if slot.tolerance_mode == "absolute":
        return f"±{slot.tolerance:g} {slot.unit}".strip()
    return f"±{slot.tolerance * 100:g}%"


__all__ = ["REGISTRY", "Kind", "choice_token", "get", "item_choices", "item_problems", "public_choice_id",
           "slot_choices"]

