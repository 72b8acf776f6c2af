"""Exercises in the admin: authored and edited with structured fields, validated on save (issue 15).

Bank exercises and admin-written ones are edited through the same authoring page
(``authoring/forms.py``). A save never changes the live exercise: it stores a pending revision
(``ExerciseRevision``) and queues its validation on the ``exercises`` queue; the revision page
polls it and shows the outcome. Submissions stay read-only.
"""
from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_POST

from questions import lifecycle
from questions.admin_forms import error_summary
from questions.exercises.authoring import drafts, revisions
from questions.exercises.authoring.forms import (
    CODE_PERMISSION,
    ExerciseForm,
    initial_data,
    place_problems,
    to_draft,
    wrong_formset,
)
from questions.exercises.catalogue import ExerciseFormatError
from questions.exercises.models import Exercise, ExerciseRevision, Submission
from questions.models import Status

POLL_SECONDS = 2


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class EditedInAdminFilter(admin.SimpleListFilter):
    title = "edited in the admin"
    parameter_name = "edited"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Has an admin version")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Exercise]) -> QuerySet[Exercise]:
        return queryset.filter(live_revision__isnull=False) if self.value() == "yes" else queryset


@admin.register(Exercise)
class ExerciseAdmin(admin.ModelAdmin):
    list_display = ("slug", "title", "topic", "difficulty", "status_cell", "updated_at")
    list_filter = ("status", "topic", "difficulty", "is_active", EditedInAdminFilter)
    search_fields = ("slug", "title", "function")
    actions = ["submit_for_review", "publish", "send_back_to_draft", "retire", "take_bank_version", "keep_admin_version"]

    # --- permissions -----------------------------------------------------------------------------

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A new exercise is all code (cases.py, the reference): creating one takes the code permission too.
        return super().has_add_permission(request) and request.user.has_perm(CODE_PERMISSION)

    def has_change_permission(self, request: HttpRequest, obj: Exercise | None = None) -> bool:
        # As for questions: authors edit drafts; what visitors see (or a queued one) takes a reviewer.
        return super().has_change_permission(request, obj) and lifecycle.can_edit(request.user, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Exercise | None = None) -> bool:
        return False  # submissions point at it; retire it instead

    def has_submit_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(lifecycle.SUBMIT)

    def has_publish_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(lifecycle.PUBLISH)

    def _may_see_revisions(self, request: HttpRequest) -> bool:
        return self.has_change_permission(request) or self.has_add_permission(request)

    @admin.display(description="Status", ordering="status")
    def status_cell(self, exercise: Exercise) -> str:
        parts = [exercise.get_status_display()]
        if exercise.is_edited_bank_exercise:
            parts.append("edited in admin")
        elif exercise.live_revision_id and not exercise.is_bank_exercise:
            parts.append("written in admin")
        return " · ".join(parts)

    # --- status actions (the questions' table of who may do what) -----------------------------------

    def _move(self, request: HttpRequest, queryset: QuerySet[Exercise], to: str) -> None:
        """All selected exercises move, or none do."""
        try:
            with transaction.atomic():
                for exercise in queryset:
                    lifecycle.check_transition(request.user, exercise.status, to, noun="exercise")
                    exercise.status = to
                    exercise.save(update_fields=["status", "updated_at"])
        except lifecycle.TransitionError as exc:
            self.message_user(request, f"Nothing was changed. Status of “{exercise.title}”: {exc.message}.", messages.ERROR)
            return
        self.message_user(request, f"{queryset.count()} exercise(s) now {lifecycle.label(to)}.", messages.SUCCESS)

    @admin.action(description="Submit selected drafts for review", permissions=["submit"])
    def submit_for_review(self, request: HttpRequest, queryset: QuerySet[Exercise]) -> None:
        self._move(request, queryset, Status.REVIEW)

    @admin.action(description="Publish selected exercises", permissions=["publish"])
    def publish(self, request: HttpRequest, queryset: QuerySet[Exercise]) -> None:
        self._move(request, queryset, Status.PUBLISHED)

    @admin.action(description="Send selected exercises back to draft", permissions=["submit"])
    def send_back_to_draft(self, request: HttpRequest, queryset: QuerySet[Exercise]) -> None:
        self._move(request, queryset, Status.DRAFT)

    @admin.action(description="Retire selected exercises (hide them, keep submissions)", permissions=["publish"])
    def retire(self, request: HttpRequest, queryset: QuerySet[Exercise]) -> None:
        self._move(request, queryset, Status.RETIRED)

    # --- bank conflicts (as for questions; the folder's version is validated like any edit) ---------

    def _edited(self, request: HttpRequest, queryset: QuerySet[Exercise]) -> list[Exercise]:
        edited = [exercise for exercise in queryset if exercise.is_edited_bank_exercise]
        if not edited:
            self.message_user(request, "None of the selected exercises is a bank exercise edited in the admin.",
                              messages.WARNING)
        return edited

    @admin.action(description="Take the bank folder's version (validated, then the admin edit is dropped)",
                  permissions=["publish"])
    def take_bank_version(self, request: HttpRequest, queryset: QuerySet[Exercise]) -> None:
        for exercise in self._edited(request, queryset):
            try:
                saved = revisions.take_bank_version(exercise, request.user)
            except (ExerciseFormatError, OSError) as exc:
                self.message_user(request, f"“{exercise.title}”: its bank folder does not load: {exc}", messages.ERROR)
            else:
                self.message_user(request, f"“{exercise.title}”: the folder's version is being validated (revision "
                                  f"{saved.revision.pk}); it replaces the admin edit if it passes.", messages.SUCCESS)

    @admin.action(description="Keep mine and mark resolved", permissions=["publish"])
    def keep_admin_version(self, request: HttpRequest, queryset: QuerySet[Exercise]) -> None:
        edited = self._edited(request, queryset)
        for exercise in edited:
            revisions.keep_admin_version(exercise)
        if edited:
            self.message_user(request, f"{len(edited)} exercise(s): admin version kept; export it to update the folder.",
                              messages.SUCCESS)

    # --- pages -------------------------------------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path("revisions/<int:revision_id>/", wrap(self.revision_view), name="exercises_exercise_revision"),
            path("revisions/<int:revision_id>/status/", wrap(self.revision_status_view),
                 name="exercises_exercise_revision_status"),
            path("revisions/<int:revision_id>/validate-again/", wrap(self.validate_again_view),
                 name="exercises_exercise_validate_again"),
            *super().get_urls(),
        ]

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: dict | None = None) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        return self._author(request, None)

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "",
                    extra_context: dict | None = None) -> HttpResponse:
        exercise = self.get_object(request, unquote(object_id))
        if exercise is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_change_permission(request, exercise):
            if self.has_view_permission(request, exercise) and request.method != "POST":
                return super().change_view(request, object_id, form_url, extra_context)  # read-only
            raise PermissionDenied
        return self._author(request, exercise)

    def _author(self, request: HttpRequest, exercise: Exercise | None) -> HttpResponse:
        """The authoring form: on a valid post, a pending revision and its queued validation."""
        may_change_code = request.user.has_perm(CODE_PERMISSION)
        try:
            main, rows = self._initial(exercise, request.GET.get("revision"))
        except (ExerciseFormatError, OSError) as exc:  # e.g. a retired bank exercise whose folder is gone
            self.message_user(request, f"This exercise cannot be edited: its files do not load ({exc}).", messages.ERROR)
            return HttpResponseRedirect(reverse("admin:exercises_exercise_changelist"))
        if request.method == "POST":
            form = ExerciseForm(request.POST, exercise=exercise, may_change_code=may_change_code, initial=main)
            formset = wrong_formset(request.POST, initial=rows, may_change_code=may_change_code)
            if form.is_valid() and formset.is_valid():
                draft, rows = to_draft(form, formset)
                try:
                    saved = revisions.save_revision(draft, exercise, request.user, form.cleaned_data["summary"])
                except ExerciseFormatError as exc:
                    place_problems([drafts.place(p, draft) for p in exc.problems], form, rows, formset)
                except revisions.NothingChanged:
                    self.message_user(request, "Nothing changed: the form holds what is live already.", messages.INFO)
                    return HttpResponseRedirect(request.path)
                else:
                    note = "" if saved.enqueued else " The task queue is unreachable; it starts when the queue is back."
                    self.message_user(request, "Saved as a pending revision; the live exercise changes only once "
                                      f"validation passes.{note}", messages.SUCCESS)
                    return HttpResponseRedirect(reverse("admin:exercises_exercise_revision", args=[saved.revision.pk]))
        else:
            form = ExerciseForm(initial=main, exercise=exercise, may_change_code=may_change_code)
            formset = wrong_formset(initial=rows, may_change_code=may_change_code)
        pending = (ExerciseRevision.objects.filter(slug=exercise.slug).select_related("author", "run")[:10]
                   if exercise is not None else [])
        title = f"Edit exercise: {exercise.title}" if exercise else "New exercise"
        return render(request, "admin/exercises/exercise/author.html", {
            **self.admin_site.each_context(request), "opts": self.opts, "title": title, "original": exercise,
            "form": form, "formset": formset, "media": self.media + form.media + formset.media,
            "error_summary": error_summary(form, [formset]), "may_change_code": may_change_code,
            "revisions": pending, "has_view_permission": True,
        })

    @staticmethod
    def _initial(exercise: Exercise | None, revision_id: str | None = None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The live exercise's content, or a revision's (``?revision=N``: fix a refused edit rather than
        start it again), or an empty form for a new exercise."""
        revision = None
        if revision_id and revision_id.isdigit():
            slug = exercise.slug if exercise is not None else None
            revision = ExerciseRevision.objects.filter(pk=int(revision_id)).first()
            if revision is not None and (revision.slug != slug if slug else revision.exercise_id is not None):
                revision = None  # another exercise's revision: ignored, as an unknown one is
        if revision is not None:
            return initial_data(drafts.read_files(revision.files, revision.slug))
        if exercise is None:
            return {"difficulty": "medium"}, []
        return initial_data(revisions.live_draft(exercise))

    def _revision(self, request: HttpRequest, revision_id: int) -> ExerciseRevision:
        if not self._may_see_revisions(request):
            raise PermissionDenied
        return get_object_or_404(ExerciseRevision.objects.select_related("run", "exercise", "author"), pk=revision_id)

    def revision_view(self, request: HttpRequest, revision_id: int) -> HttpResponse:
        revision = self._revision(request, revision_id)
        return render(request, "admin/exercises/exercise/revision.html", {
            **self.admin_site.each_context(request), "opts": self.opts, "original": revision.exercise,
            "title": f"Revision {revision.pk} of {revision.slug}", "revision": revision,
            "status": revision_status(revision), "poll_seconds": POLL_SECONDS,
        })

    def revision_status_view(self, request: HttpRequest, revision_id: int) -> JsonResponse:
        return JsonResponse(revision_status(self._revision(request, revision_id)))

    def validate_again_view(self, request: HttpRequest, revision_id: int) -> HttpResponse:
        if request.method != "POST":
            return require_POST(lambda r: None)(request)  # a 405 that names the allowed method
        revision = self._revision(request, revision_id)
        if not revisions.can_validate_again(revision):
            self.message_user(request, "This revision is being validated or has been decided already.", messages.WARNING)
        else:
            revisions.validate_again(revision, request.user)
            self.message_user(request, "Validation queued again.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:exercises_exercise_revision", args=[revision.pk]))


def revision_status(revision: ExerciseRevision) -> dict[str, Any]:
    """What the revision page shows and polls: state, progress, and the outcome's sentences."""
    run = revision.run
    state = revision.state
    if state == ExerciseRevision.State.VALIDATING:
        if run is None or run.state in run.FINAL_STATES:
            stopped = run.error if run is not None and run.error else "the validation stopped before it finished"
            headline = f"Validation did not finish: {stopped} The live exercise is unchanged; validate again."
            state = "stopped"
        elif run.state == run.State.QUEUED:
            headline = f"Queued: waiting for a worker ({run.progress_message or 'queued'})."
        else:
            headline = f"Validating: {run.progress_message or 'starting'}."
    elif state == ExerciseRevision.State.APPLIED:
        headline = "Passed: the reference passes every case and every wrong solution fails; the revision is live."
    else:
        headline = "Refused: the live exercise is unchanged."
    return {
        "state": state, "headline": headline, "progress": run.progress if run is not None else 0,
        "reasons": [f"{line[:1].upper()}{line[1:]}" for line in revision.refusal.splitlines()],
        "done": state != ExerciseRevision.State.VALIDATING,
        "can_validate_again": revisions.can_validate_again(revision),
    }


@admin.register(Submission)
class SubmissionAdmin(ReadOnly):
    list_display = ("id", "exercise", "mode", "seed", "user", "created_at")
    list_filter = ("mode", "exercise")
    raw_id_fields = ("run",)
    search_fields = ("id", "exercise__slug")
