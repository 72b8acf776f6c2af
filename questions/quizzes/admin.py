"""Admin: fixed quizzes (ordered questions, time limit), attempts, and per-question statistics."""
from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from questions.quizzes.models import Answer, Attempt, FixedQuiz, FixedQuizEntry, QuestionStatistics, ReviewCard, Slot
from questions.quizzes.stats import item_statistics


class FixedQuizEntryInline(admin.TabularInline):
    model = FixedQuizEntry
    extra = 3
    autocomplete_fields = ["question"]
    fields = ["order", "question", "item", "free_text"]


@admin.register(FixedQuiz)
class FixedQuizAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "time_limit_minutes", "is_listed", "order"]
    list_editable = ["is_listed", "order"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [FixedQuizEntryInline]


class SlotInline(admin.TabularInline):
    model = Slot
    extra = 0
    can_delete = False
    fields = ["position", "kind", "question", "prompt", "expected", "unit"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AnswerInline(admin.TabularInline):
    model = Answer
    extra = 0
    can_delete = False
    fields = ["slot", "value", "points", "max_points", "is_correct", "self_score", "seconds_spent", "saves",
              "updated_at"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Attempt)
class AttemptAdmin(admin.ModelAdmin):
    list_display = ["title", "user", "status", "finish_reason", "score", "max_score", "started_at", "deadline"]
    list_filter = ["status", "finish_reason", "fixed_quiz"]
    search_fields = ["title", "user__username"]
    date_hierarchy = "started_at"
    readonly_fields = ["id", "user", "anon_key", "spec", "fixed_quiz", "status", "finish_reason", "started_at",
                       "deadline", "finished_at", "score", "max_score", "pending_self_grades"]
    inlines = [SlotInline, AnswerInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # attempts start from the quiz pages, with their clock


@admin.register(ReviewCard)
class ReviewCardAdmin(admin.ModelAdmin):
    list_display = ["question", "subject", "object_id", "user", "due", "reviews", "lapses", "last_review"]
    list_filter = ["subject"]
    list_select_related = ["question", "user"]
    raw_id_fields = ["question", "user"]


@admin.register(QuestionStatistics)
class QuestionStatisticsAdmin(admin.ModelAdmin):
    """Read-only report in place of a change list: option pick rates and median answer time per item."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": "Question statistics",
            "opts": self.model._meta,
            "stats": item_statistics(),
        }
        return TemplateResponse(request, "quizzes/admin_stats.html", context)
