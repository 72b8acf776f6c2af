"""Admin for the bank: editing with a live Markdown preview and the same validation as the loader."""
from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.urls import URLPattern, URLResolver, reverse_lazy
from django.utils.formats import date_format
from django.utils.timezone import localtime

from questions.admin_forms import OPTION_ROWS, QuizItemWithOptionsForm, StructuredQuestionForm, error_summary
from questions.admin_import import import_urls
from questions.admin_preview import preview_urls
from questions.admin_lifecycle import LifecycleAdminMixin, QuizItemLifecycleMixin
from questions import kinds
from questions.models import Choice, Question, QuizItem, Tag, Topic, published_filter
from questions.parsed import ParsedChoice, ParsedQuizItem

PREVIEW_URL = reverse_lazy("questions:markdown_preview")


class MarkdownPreviewWidget(forms.Textarea):
    """A textarea that admin_preview.js pairs with a live preview rendered by the site's own renderer."""

    class Media:
        js = ("questions/admin_preview.js",)
        css = {"all": ("questions/admin_preview.css", "css/pygments.css")}

    def __init__(self, attrs: dict[str, Any] | None = None):
        super().__init__({"rows": 14, **(attrs or {}), "data-markdown-preview": "", "data-preview-url": PREVIEW_URL})


class QuestionForm(StructuredQuestionForm):
    class Meta(StructuredQuestionForm.Meta):
        widgets = {"answer_md": MarkdownPreviewWidget()}


class TopicForm(forms.ModelForm):
    class Meta:
        model = Topic
        fields = "__all__"
        widgets = {"intro": MarkdownPreviewWidget({"rows": 4})}


def _sentence(message: str) -> str:
    return message[0].upper() + message[1:] + "."


class QuizItemForm(forms.ModelForm):
    """The item's own fields, checked by its kind's rules (the options are checked with the options, below).

    Each problem names the schema field it is about, which is the model field and so the form field.
    """

    class Meta:
        model = QuizItem
        fields = "__all__"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not cleaned.get("kind"):
            return cleaned
        parsed = ParsedQuizItem(
            kind=cleaned["kind"], prompt=cleaned.get("prompt") or "", numeric_answer=cleaned.get("numeric_answer"),
            tolerance=cleaned.get("tolerance"), tolerance_mode=cleaned.get("tolerance_mode") or "",
        )
        for problem in kinds.item_problems(parsed):
            if problem.field != "choices":
                self.add_error(problem.field if problem.field in self.fields else None, problem.message)
        return cleaned


class ChoiceFormSet(forms.BaseInlineFormSet):
    """Checks the set of options as a whole, by the item kind's rules (e.g. exactly one right for single)."""

    def clean(self) -> None:
        super().clean()
        if any(self.errors) or self.instance.kind not in kinds.REGISTRY:
            return
        kept = tuple(
            ParsedChoice(form.cleaned_data["text"], bool(form.cleaned_data.get("is_correct")))
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE") and form.cleaned_data.get("text")
        )
        problems = self.instance.spec.problems(ParsedQuizItem(kind=self.instance.kind, prompt="", choices=kept))
        messages = [_sentence(problem.message) for problem in problems if problem.field == "choices"]
        if messages:
            raise forms.ValidationError(messages)


class ChoiceInline(admin.TabularInline):
    model = Choice
    formset = ChoiceFormSet
    extra = 2
    fields = ("order", "text", "is_correct", "explanation")


class QuizItemInline(admin.StackedInline):
    """Each item with its options as rows (text, correct, why): nested editing without nested inlines."""

    model = QuizItem
    form = QuizItemWithOptionsForm
    extra = 1  # a blank item to fill in even without JavaScript (left untouched, it is not saved)
    fields = (
        ("key", "kind", "order", "is_active"),
        "prompt",
        "explanation",
        ("numeric_answer", "tolerance", "tolerance_mode", "unit"),
        *OPTION_ROWS,
    )


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    form = TopicForm
    list_display = ("title", "slug", "order", "active_questions")
    list_editable = ("order",)
    prepopulated_fields = {"slug": ("title",)}
    search_fields = ("title", "slug")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Topic]:
        return super().get_queryset(request).annotate(n_active=Count("questions", filter=published_filter("questions__")))

    @admin.display(description="Published questions", ordering="n_active")
    def active_questions(self, topic: Topic) -> int:
        return topic.n_active  # type: ignore[attr-defined]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("slug", "question_count")
    search_fields = ("slug",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Tag]:
        return super().get_queryset(request).annotate(n_questions=Count("questions"))

    @admin.display(description="Questions", ordering="n_questions")
    def question_count(self, tag: Tag) -> int:
        return tag.n_questions  # type: ignore[attr-defined]


@admin.register(Question)
class QuestionAdmin(LifecycleAdminMixin, admin.ModelAdmin):
    form = QuestionForm
    inlines = [QuizItemInline]
    # Five columns fit beside the admin's two sidebars at 1280 px. Status, needs-review and "edited
    # in the admin" share one "Status" cell (``status_cell``, from the lifecycle mixin; origin stays
    # a filter). The topic is a method column because the admin never
    # wraps a foreign key's cell ("nowrap"): one long topic title pushed the later columns off-screen.
    # Tags are found by search rather than a filter listing every tag down the side of the page.
    list_display = ("title", "topic_title", "difficulty", "status_cell", "updated")
    list_filter = ("status", "topic", "difficulty", "needs_review", "origin")
    search_fields = ("title", "slug", "answer_md", "tags__slug")
    search_help_text = "Search titles, slugs, answers and tags (e.g. kv-cache)."
    list_select_related = ("topic",)
    filter_horizontal = ("tags",)
    prepopulated_fields = {"slug": ("title",)}
    readonly_fields = ("source_path", "content_hash", "edited_at", "edited_by", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("title", "slug", "topic", "difficulty", "order", "tags", "status")}),
        ("Answer", {"fields": ("answer_md", "key_points", "common_mistakes", "follow_ups", "sources")}),
        ("Demos and coverage", {"fields": ("demos", "covers"), "classes": ("collapse",)}),
        ("Provenance", {"fields": ("origin", "needs_review", "review_notes", "source_path", "content_hash", "edited_at", "edited_by", "created_at", "updated_at"), "classes": ("collapse",)}),
    )

    @admin.display(description="Topic", ordering="topic__order")
    def topic_title(self, question: Question) -> str:
        return question.topic.title

    @admin.display(description="Updated", ordering="updated_at")
    def updated(self, question: Question) -> str:
        """The date alone, kept on one line by no-break spaces: a full timestamp wrapped onto three."""
        return date_format(localtime(question.updated_at), "j M Y").replace(" ", "\u00a0")

    def get_urls(self) -> list[URLPattern | URLResolver]:
        # The importer's preview-then-commit page lives under this admin (…/question/import/),
        # before the default patterns so "import" is not read as an object id.
        return [*import_urls(), *preview_urls(self), *super().get_urls()]

    def render_change_form(self, request: HttpRequest, context: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        # Errors beside their fields are easy to miss below the fold: the top of the form lists them all too.
        adminform = context.get("adminform")
        formsets = [inline.formset for inline in context.get("inline_admin_formsets", [])]
        context["error_summary"] = error_summary(adminform.form if adminform else None, formsets)
        return super().render_change_form(request, context, *args, **kwargs)


@admin.register(QuizItem)
class QuizItemAdmin(QuizItemLifecycleMixin, admin.ModelAdmin):
    form = QuizItemForm
    inlines = [ChoiceInline]
    list_display = ("__str__", "kind", "is_active")
    list_filter = ("kind", "is_active", "question__topic")
    search_fields = ("key", "prompt", "question__title", "question__slug")
    autocomplete_fields = ("question",)
    search_help_text = "Search by item id, prompt or question title."
