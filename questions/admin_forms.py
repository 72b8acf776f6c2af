"""Structured editing in the question admin: lists as lists, options inside their quiz item, a demo picker.

Every list field (key points, common mistakes, follow-ups, sources, covers) is a
textarea of one item per line, which works with no JavaScript; static/js/admin_list.js
turns it into one input per row with add/remove/up/down buttons, each row posting
under the same name. ``ListWidget.value_from_datadict`` reads both shapes, so the
server never sees JSON and an author never types any.

Quiz items carry their options as rows of (text, correct, why) inside the item's own
form (Django's admin has no nested inlines), checked together by the kind's rules in
``questions.kinds``; each (field, message) problem is placed on the input it names.
"""
from __future__ import annotations

import json
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.utils.text import capfirst

from engine.demos import all_demos
from questions import kinds
from questions.markdown import _ALLOWED_ATTRIBUTES, _ALLOWED_TAGS, _URL_SCHEMES, _new_markdown
from questions.models import Question, QuizItem
from questions.parsed import ParsedChoice, ParsedQuizItem

MAX_OPTIONS = 6  # rows of options per quiz item; the bank's largest choice item has four
MAX_ITEM_CHARS = 1000


class ListWidget(forms.Textarea):
    """One item per line; several values under one name (the JS rows) are the items themselves."""

    class Media:
        js = ("js/admin_list.js",)
        css = {"all": ("css/admin_list.css",)}

    def __init__(self, attrs: dict[str, Any] | None = None):
        super().__init__({"rows": 4, "data-list-editor": "", **(attrs or {})})

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        values = data.getlist(name) if hasattr(data, "getlist") else [data.get(name)]
        values = [v for v in values if v is not None]
        if len(values) > 1:
            return values
        return values[0] if values else None

    def format_value(self, value: Any) -> str:
        if isinstance(value, (list, tuple)):
            return "\n".join(str(v) for v in value)
        return super().format_value(value) or ""


class ListField(forms.Field):
    """A JSONField list of strings edited as rows; blank rows are dropped, repeats and pasted JSON refused."""

    widget = ListWidget

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            return "\n".join(str(v) for v in value)
        return value

    def to_python(self, value: Any) -> list[str]:
        if value in (None, ""):
            return []
        label = capfirst(self.label or "this list")
        rows = value if isinstance(value, (list, tuple)) else str(value).splitlines()
        items = [str(row).strip() for row in rows]
        items = [item for item in items if item]
        if len(items) == 1 and (items[0].startswith(("[\"", "['")) or items[0] in ("[]", "[ ]")):
            # The field's old shape (a JSON list, still what scripts post) is read as its items;
            # anything else that looks like one is refused rather than stored as a single odd item.
            items = _json_list(items[0], label)
        seen: dict[str, int] = {}
        for number, item in enumerate(items, start=1):
            if len(item) > MAX_ITEM_CHARS:
                raise forms.ValidationError(
                    f"{label}: item {number} is {len(item):,} characters; keep each item under {MAX_ITEM_CHARS:,}.")
            if item in seen:
                raise forms.ValidationError(f"{label}: item {number} repeats item {seen[item]} (“{item[:60]}”).")
            seen[item] = number
        for number, item in enumerate(items, start=1):
            removed = sanitiser_removals(item)
            if removed:
                raise forms.ValidationError(f"{label}: item {number} has HTML the page would strip: {removed}.")
        return items


def _json_list(text: str, label: str) -> list[str]:
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise forms.ValidationError(f"{label}: this looks like a list in brackets but is not a valid list of "
                                    "texts; write one item per row instead.")
    return [v.strip() for v in value if v.strip()]


class _TagAudit(HTMLParser):
    """Collects what the sanitiser's allow-list (questions.markdown) would remove from rendered HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.removed: list[str] = []

    def _note(self, what: str) -> None:
        if what not in self.removed:
            self.removed.append(what)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _ALLOWED_TAGS:
            self._note(f"the <{tag}> element")
            return
        allowed = _ALLOWED_ATTRIBUTES.get("*", set()) | _ALLOWED_ATTRIBUTES.get(tag, set())
        for name, value in attrs:
            if name not in allowed:
                self._note(f"the {name} attribute on <{tag}>")
            elif name in ("href", "src") and value and urlsplit(value.strip()).scheme not in ("", *_URL_SCHEMES):
                self._note(f"the {urlsplit(value.strip()).scheme}: link in <{tag}>")

    def handle_comment(self, data: str) -> None:
        self._note("an HTML comment")


def sanitiser_removals(text: str) -> str:
    """What rendering ``text`` would lose to the sanitiser, as a phrase ('' when nothing)."""
    if "<" not in text and ":" not in text:
        return ""  # no raw HTML and no link scheme: nothing for the allow-list to remove
    audit = _TagAudit()
    audit.feed(_new_markdown().convert(text))
    return ", ".join(audit.removed)


def demo_choices() -> list[tuple[str, str]]:
    return [(demo.name, f"{demo.name} — {demo.title}") for demo in all_demos()]


class DemoPicker(forms.MultipleChoiceField):
    """Names from the demo registry only; an unknown name (e.g. from an old file) is named in the error."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs: Any):
        kwargs.pop("encoder", None)
        kwargs.pop("decoder", None)
        kwargs.pop("max_length", None)
        super().__init__(choices=demo_choices, required=False, **kwargs)

    def to_python(self, value: Any) -> list[str]:
        if isinstance(value, (list, tuple)) and len(value) == 1 and str(value[0]).startswith("["):
            value = _json_list(str(value[0]), "Demos")  # the old JSON shape, as scripts still post it
        return super().to_python(value)

    def validate(self, value: list[str]) -> None:
        known = {name for name, _ in demo_choices()}
        unknown = [name for name in value if name not in known]
        if unknown:
            raise forms.ValidationError(f"Demos: {', '.join(repr(n) for n in unknown)} "
                                        f"{'is not a known demo' if len(unknown) == 1 else 'are not known demos'}; "
                                        "pick from the list.")


LIST_FIELDS = ("key_points", "common_mistakes", "follow_ups", "sources", "covers", "review_notes")


class StructuredQuestionForm(forms.ModelForm):
    """The question's lists as rows, its demos as a picker, its Markdown checked against the sanitiser."""

    class Meta:
        model = Question
        fields = "__all__"
        error_messages = {"slug": {"unique": "Slug: another question already uses this slug; choose another."}}

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for name in LIST_FIELDS:
            if name in self.fields:
                model_field = Question._meta.get_field(name)
                self.fields[name] = ListField(
                    required=False, label=capfirst(model_field.verbose_name),
                    help_text="One item per row. Markdown works inside an item.")
        if "demos" in self.fields:
            self.fields["demos"] = DemoPicker(label="Demos", help_text=Question._meta.get_field("demos").help_text)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        check_markdown(self, {"answer_md": "Answer"})
        return cleaned


def check_markdown(form: forms.BaseForm, fields: dict[str, str]) -> None:
    """Put an error on each of ``fields`` (name → label) whose Markdown the page's sanitiser would cut."""
    for name, label in fields.items():
        removed = sanitiser_removals(form.cleaned_data.get(name) or "")
        if removed:
            form.add_error(name, f"{label}: the page would strip {removed}; write it in Markdown instead.")


def _option_fields(number: int) -> dict[str, forms.Field]:
    return {
        f"option_{number}_text": forms.CharField(
            required=False, label=f"Option {number}", widget=forms.TextInput(attrs={"size": 50})),
        f"option_{number}_correct": forms.BooleanField(required=False, label="Correct"),
        f"option_{number}_why": forms.CharField(
            required=False, label="Why", widget=forms.TextInput(attrs={"size": 40})),
    }


OPTION_ROWS = tuple(tuple(_option_fields(n)) for n in range(1, MAX_OPTIONS + 1))
# Declared on a class (not added in __init__) so the admin's fieldsets may name them.
_OptionFields = type("_OptionFields", (forms.Form,), {
    name: field for n in range(1, MAX_OPTIONS + 1) for name, field in _option_fields(n).items()})


def _sentence(message: str) -> str:
    return message[0].upper() + message[1:] + "."


class QuizItemWithOptionsForm(forms.ModelForm, _OptionFields):
    """A quiz item with its options, checked by its kind's rules; each problem lands on the input it names."""

    class Meta:
        model = QuizItem
        fields = "__all__"

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            for number, choice in enumerate(self.instance.choices.all()[:MAX_OPTIONS], start=1):
                self.initial.update({f"option_{number}_text": choice.text, f"option_{number}_correct": choice.is_correct,
                                     f"option_{number}_why": choice.explanation})

    def _options(self) -> tuple[ParsedChoice, ...]:
        stored = self.instance.choices.count() if self.instance.pk else 0
        if stored > MAX_OPTIONS:  # saving would silently drop the options the rows cannot show
            self.add_error(None, f"This item has {stored} options, more than the {MAX_OPTIONS} rows here; "
                                 "edit it on its own quiz item page.")
        options = []
        for number in range(1, MAX_OPTIONS + 1):
            text = (self.cleaned_data.get(f"option_{number}_text") or "").strip()
            correct = bool(self.cleaned_data.get(f"option_{number}_correct"))
            why = (self.cleaned_data.get(f"option_{number}_why") or "").strip()
            if not text and (correct or why):
                self.add_error(f"option_{number}_text", f"Option {number}: write its text, or clear its other boxes.")
            if text:
                options.append(ParsedChoice(text, correct, why))
        return tuple(options)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        options = self._options()
        if not cleaned.get("kind"):
            return cleaned
        parsed = ParsedQuizItem(
            kind=cleaned["kind"], prompt=cleaned.get("prompt") or "", numeric_answer=cleaned.get("numeric_answer"),
            tolerance=cleaned.get("tolerance"), tolerance_mode=cleaned.get("tolerance_mode") or "",
            choices=options,
        )
        for problem in kinds.item_problems(parsed):
            field = "option_1_text" if problem.field == "choices" else problem.field
            self.add_error(field if field in self.fields else None, _sentence(problem.message))
        self._parsed_options = options
        # Last: an error removes the field from cleaned_data, which the checks above must still see.
        check_markdown(self, {
            "prompt": "Prompt", "explanation": "Explanation",
            **{f"option_{n}_{part}": f"Option {n}" for n in range(1, MAX_OPTIONS + 1) for part in ("text", "why")},
        })
        return cleaned

    def _write_options(self) -> None:
        stored = [(c.text, c.is_correct, c.explanation) for c in self.instance.choices.all()]
        wanted = [(c.text, c.correct, c.explanation) for c in getattr(self, "_parsed_options", ())]
        if sorted(stored) != sorted(wanted):  # storage order is a shuffle; only a real change rewrites them
            self.instance.replace_choices(wanted)

    def save(self, commit: bool = True) -> QuizItem:
        item = super().save(commit=commit)
        if commit:
            self._write_options()
        else:
            save_m2m = self.save_m2m

            def save_m2m_and_options() -> None:
                save_m2m()
                self._write_options()

            self.save_m2m = save_m2m_and_options
        return item


def error_summary(form: forms.BaseForm | None, formsets: list[Any]) -> list[str]:
    """Every error on the page as 'Where: message', for the summary at the top of the change form."""
    lines: list[str] = []

    def add(where: str, f: forms.BaseForm) -> None:
        for name, errors in f.errors.items():
            label = "" if name == "__all__" else capfirst(f.fields[name].label or name) if name in f.fields else name
            for message in errors:
                lines.append(f"{where}{label + ': ' if label and not message.startswith(label) else ''}{message}")

    if form is not None:
        add("", form)
    for formset in formsets:
        # An inline formset names its rows after its model; a plain formset says what a row is itself.
        meta = getattr(formset, "model", None) and formset.model._meta
        one = meta.verbose_name if meta else formset.row_name
        many = meta.verbose_name_plural if meta else formset.rows_name
        for number, f in enumerate(formset.forms, start=1):
            add(f"{capfirst(one)} {number} — ", f)
        for message in formset.non_form_errors():
            lines.append(f"{capfirst(many)}: {message}")
    return lines
