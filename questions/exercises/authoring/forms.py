"""The authoring form: every part of an exercise folder as a field, wrong solutions as rows, no JSON.

Lists (hints, practised questions, a wrong solution's cases) reuse the question admin's list editor
(``questions.admin_forms.ListField``), demos its picker; code fields are monospace textareas that
``static/js/admin_code.js`` upgrades to the site's CodeMirror editor. The form only collects; the
checks are the catalogue's (``drafts.loaded``), placed back on the fields by ``drafts.place``.
Without ``exercises.change_exercise_code`` the code fields are shown disabled: their posted values are
ignored, so an author can change the text and never the code that runs on the worker.
"""
from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.text import capfirst

from questions.admin import MarkdownPreviewWidget
from questions.admin_forms import DemoPicker, ListField, check_markdown
from questions.exercises.authoring.drafts import Draft, Placed, WrongDraft
from questions.exercises.catalogue import DEFAULT_TOLERANCE, MIN_WRONG
from questions.exercises.models import Exercise
from questions.models import Difficulty, Topic
from sandbox.jobs.sweep import MAX_WRONG_SOLUTIONS

CODE_PERMISSION = "exercises.change_exercise_code"
CODE_FIELDS = ("starter", "reference", "cases")
WRONG_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class CodeWidget(forms.Textarea):
    """A monospace textarea; admin_code.js puts the site's CodeMirror editor in its place when it loads."""

    class Media:
        js = ("vendor/codemirror/codemirror.js", "js/admin_code.js")
        css = {"all": ("css/sandbox.css", "css/admin_code.css")}

    def __init__(self, rows: int = 14):
        super().__init__({"rows": rows, "class": "code-field", "data-code-editor": "", "spellcheck": "false"})


def _topic_choices() -> list[tuple[str, str]]:
    return [(topic.slug, topic.title) for topic in Topic.objects.order_by("order", "title")]


class ExerciseForm(forms.Form):
    title = forms.CharField(max_length=300)
    slug = forms.SlugField(
        max_length=120, help_text="Its address, /exercises/<slug>/; fixed once the exercise exists.",
        error_messages={"invalid": "Slug: use lowercase letters, digits and hyphens."})
    topic = forms.ChoiceField(choices=_topic_choices)
    difficulty = forms.ChoiceField(choices=Difficulty.choices)
    function = forms.CharField(max_length=80, help_text="The name the submission must define, e.g. top_p_filter.")
    signature = forms.CharField(max_length=300, help_text="Starts with the function's name: top_p_filter(logits: Tensor, p: float) -> Tensor")
    statement_md = forms.CharField(label="Statement", widget=MarkdownPreviewWidget(),
                                   help_text="What to implement: shapes, conventions, edge cases. Markdown and $math$.")
    walkthrough_md = forms.CharField(label="Walkthrough", widget=MarkdownPreviewWidget({"rows": 8}),
                                     help_text="How the reference works; shown only after an attempt.")
    hints = ListField(label="Hints", help_text="Revealed one at a time; at least two.")
    practises = ListField(label="Practised questions",
                          help_text="Slugs of published questions this exercise practises, one per row.")
    demos = DemoPicker(label="Demos", help_text="Engine demos to show beside the exercise.")
    starter = forms.CharField(widget=CodeWidget(8), help_text="What the editor starts with: imports, the signature, a docstring.")
    reference = forms.CharField(widget=CodeWidget(), help_text="A correct, readable solution (torch and the standard library only).")
    cases = forms.CharField(label="Cases (cases.py)", widget=CodeWidget(20),
                            help_text="cases(seed) and expected(case); runs on the worker, outside the sandbox.")
    summary = forms.CharField(label="What changed", required=False, max_length=300,
                              help_text="One line for the revision list (optional).")

    def __init__(self, *args: Any, exercise: Exercise | None = None, may_change_code: bool = True, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for dtype, (atol, rtol) in DEFAULT_TOLERANCE.items():
            for part, default in (("atol", atol), ("rtol", rtol)):
                self.fields[f"{part}_{dtype}"] = forms.FloatField(
                    label=f"{dtype} {part}", required=False, min_value=0, initial=default,
                    widget=forms.NumberInput(attrs={"step": "any", "size": 10}),
                    help_text=f"Default {default:g}." if part == "rtol" else "")
        if exercise is not None:
            self.fields["slug"].disabled = True
        self.exercise = exercise
        if not may_change_code:
            for name in CODE_FIELDS:
                self.fields[name].disabled = True
                self.fields[name].help_text = "Changing code needs the “Can change an exercise's code” permission."

    def tolerance_names(self) -> list[tuple[str, str, str]]:
        return [(dtype, f"atol_{dtype}", f"rtol_{dtype}") for dtype in DEFAULT_TOLERANCE]

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"]
        if self.exercise is None and Exercise.objects.filter(slug=slug).exists():
            raise forms.ValidationError("Slug: another exercise already uses this slug; choose another.")
        return slug

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        check_markdown(self, {"statement_md": "Statement", "walkthrough_md": "Walkthrough"})
        return cleaned

    def tolerance(self) -> dict[str, tuple[float, float]]:
        """The [atol, rtol] pairs that differ from the defaults (a blank box means the default)."""
        chosen = {}
        for dtype, (atol, rtol) in DEFAULT_TOLERANCE.items():
            pair = (self.cleaned_data.get(f"atol_{dtype}"), self.cleaned_data.get(f"rtol_{dtype}"))
            pair = (atol if pair[0] is None else pair[0], rtol if pair[1] is None else pair[1])
            if pair != (atol, rtol):
                chosen[dtype] = pair
        return chosen

    def add_placed(self, placed: Placed) -> None:
        self.add_error(placed.field if placed.field in self.fields else None, placed.message)


class WrongSolutionForm(forms.Form):
    name = forms.CharField(max_length=60, help_text="The file is wrong/<name>.py, e.g. no_max_subtraction.")
    mistake = forms.CharField(max_length=300, widget=forms.TextInput(attrs={"size": 70}),
                              help_text="One sentence: what this solution gets wrong.")
    fails = ListField(label="Must fail on", help_text="Names of cases in cases.py that catch this mistake.")
    source = forms.CharField(widget=CodeWidget(10))

    def has_changed(self) -> bool:
        # A blank row is no solution, whatever the editors post for it (the list editor and CodeMirror
        # send empty values that differ from "no initial value"), so it is neither checked nor saved.
        if self.is_bound and not any(self._posted(name) for name in ("name", "mistake", "fails", "source")):
            return False
        return super().has_changed()

    def _posted(self, name: str) -> bool:
        key = self.add_prefix(name)
        values = self.data.getlist(key) if hasattr(self.data, "getlist") else [self.data.get(key)]
        return any(str(value or "").strip() for value in values)

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip().removesuffix(".py")
        if not WRONG_NAME.match(name):
            raise forms.ValidationError("Name: use lowercase letters, digits and underscores, starting with a letter.")
        return name

    def clean_fails(self) -> list[str]:
        fails = self.cleaned_data["fails"]
        if not fails:
            raise forms.ValidationError("Must fail on: name at least one case of cases.py that catches this mistake.")
        return fails


class BaseWrongFormSet(forms.BaseFormSet):
    row_name, rows_name = "wrong solution", "wrong solutions"  # for the error summary (admin_forms.error_summary)

    def clean(self) -> None:
        super().clean()
        names = [f.cleaned_data["name"] for f in self.kept() if f.cleaned_data.get("name")]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise forms.ValidationError(f"Wrong solutions: the name {', '.join(repeated)} is used twice; names must differ.")

    def kept(self) -> list[WrongSolutionForm]:
        """The rows to save: filled in and not marked for deletion."""
        return [f for number, f in enumerate(self.forms)
                if (number < self.initial_form_count() or f.has_changed()) and not self._should_delete_form(f)]


def wrong_formset(data: Any = None, initial: list[dict[str, Any]] | None = None, may_change_code: bool = True) -> BaseWrongFormSet:
    """The wrong-solution rows: the given ones plus blank rows up to the format's minimum (at least one
    to add a solution without JavaScript); none to add without the code permission (a solution is code)."""
    extra = max(1, MIN_WRONG - len(initial or ())) if may_change_code else 0
    formset_class = forms.formset_factory(
        WrongSolutionForm, formset=BaseWrongFormSet, extra=extra, can_delete=True, max_num=MAX_WRONG_SOLUTIONS,
        validate_max=True)
    formset = formset_class(data, initial=initial, prefix="wrong")
    if not may_change_code:
        for form in formset.forms:
            for name in ("name", "source"):
                form.fields[name].disabled = True
            form.fields["DELETE"].disabled = True
    return formset


def initial_data(draft: Draft) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The form's and the wrong-solution rows' initial values for ``draft``."""
    main = {name: getattr(draft, name) for name in (
        "title", "slug", "topic", "difficulty", "function", "signature", "statement_md", "walkthrough_md", "hints",
        "practises", "demos", "starter", "reference", "cases")}
    for dtype, (atol, rtol) in draft.tolerance.items():
        main[f"atol_{dtype}"], main[f"rtol_{dtype}"] = atol, rtol
    rows = [{"name": w.name, "mistake": w.mistake, "fails": w.fails, "source": w.source} for w in draft.wrong]
    return main, rows


def to_draft(form: ExerciseForm, formset: BaseWrongFormSet) -> tuple[Draft, list[WrongSolutionForm]]:
    """The draft both forms describe, and the row form of each of its wrong solutions (for placing errors)."""
    data = form.cleaned_data
    rows = formset.kept()
    draft = Draft(
        slug=data["slug"], title=data["title"], topic=data["topic"], difficulty=data["difficulty"],
        function=data["function"].strip(), signature=data["signature"], statement_md=data["statement_md"],
        walkthrough_md=data["walkthrough_md"], hints=data["hints"], starter=data["starter"],
        reference=data["reference"], cases=data["cases"], practises=data["practises"], demos=data["demos"],
        tolerance=form.tolerance(),
        wrong=[WrongDraft(f.cleaned_data["name"], f.cleaned_data["mistake"], f.cleaned_data["fails"],
                          f.cleaned_data["source"]) for f in rows],
    )
    return draft, rows


def place_problems(problems: list[Placed], form: ExerciseForm, rows: list[WrongSolutionForm],
                   formset: BaseWrongFormSet) -> None:
    for placed in problems:
        if placed.wrong_index is not None and placed.wrong_index < len(rows):
            row = rows[placed.wrong_index]
            row.add_error(placed.field if placed.field in row.fields else None, placed.message)
        elif placed.wrong_index is not None or placed.field == "wrong":
            formset._non_form_errors = formset.error_class(  # type: ignore[attr-defined]
                [*formset.non_form_errors(), f"{capfirst(formset.rows_name)}: {placed.message}"])
        else:
            form.add_placed(placed)
