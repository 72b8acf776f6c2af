"""Exercises in the admin: read-only, since the bank's folders are the source (``load_bank`` writes them)."""
from __future__ import annotations

from django.contrib import admin

from questions.exercises.models import Exercise, Submission


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Exercise)
class ExerciseAdmin(ReadOnly):
    list_display = ("slug", "title", "topic", "difficulty", "is_active", "updated_at")
    list_filter = ("topic", "difficulty", "is_active")
    search_fields = ("slug", "title", "function")


@admin.register(Submission)
class SubmissionAdmin(ReadOnly):
    list_display = ("id", "exercise", "mode", "seed", "user", "created_at")
    list_filter = ("mode", "exercise")
    raw_id_fields = ("run",)
    search_fields = ("id", "exercise__slug")
