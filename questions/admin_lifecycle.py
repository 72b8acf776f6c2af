"""The question admin's lifecycle half: status moves, history and revert, the review queue, bank conflicts.

Mixed into ``QuestionAdmin`` so the editing half (forms, inlines, previews) stays in ``admin.py``.
Every move goes through ``questions.lifecycle``, which holds the one table of who may do what; this
module only turns its answers into forms, actions, pages and messages.
"""
from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_POST

from questions import bank_loader, lifecycle
from questions.bank_parser import BankFileError
from questions.models import Question, Revision, Status

AWAITING_REVIEW_URL = "admin:questions_question_awaiting_review"


def _sentence(text: str) -> str:
    return text[0].upper() + text[1:] + ("" if text.endswith(".") else ".")


class EditedInAdminFilter(admin.SimpleListFilter):
    """Bank questions whose admin edit load_bank is keeping: the ones a person still has to reconcile."""

    title = "edited in the admin"
    parameter_name = "edited"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Edited since its bank file")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Question]) -> QuerySet[Question]:
        if self.value() == "yes":
            return queryset.filter(origin=Question.Origin.BANK, edited_at__isnull=False)
        return queryset


def _status_form(base: type[forms.ModelForm], user: Any, current: str) -> type[forms.ModelForm]:
    """``base`` with its status field checked against what ``user`` may do from ``current``."""

    class LifecycleForm(base):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any):
            super().__init__(*args, **kwargs)
            field = self.fields.get("status")
            if field is not None:
                targets = [lifecycle.label(s) for s in lifecycle.allowed_targets(user, current)]
                field.help_text = (
                    f"You may move it from {lifecycle.label(current)} to: {', '.join(targets)}." if targets
                    else f"You may not change it from {lifecycle.label(current)}."
                )

        def clean_status(self) -> str:
            value = self.cleaned_data["status"]
            try:
                lifecycle.check_transition(user, current, value)
            except lifecycle.TransitionError as exc:
                raise forms.ValidationError(_sentence(exc.message)) from None
            return value

    return LifecycleForm


def _state_before(question_id: int | None) -> tuple[str, dict | None]:
    """The question's status and snapshot as stored, read before a save: tags and quiz items are saved
    after the main form (save_related), so the database still holds the old ones here."""
    if question_id is None:
        return "", None
    before = Question.objects.get(pk=question_id)
    return before.status, lifecycle.snapshot(before)


def _record_change(request: HttpRequest, question: Question, state_before: tuple[str, dict | None]) -> None:
    """After an admin save: a revision naming what changed, and the edited mark if the content changed."""
    status_before, before = state_before
    changed = lifecycle.changed_fields(before, lifecycle.snapshot(question))
    if not changed:
        return
    if not question.revisions.exists():  # the first change since revisions began: keep what it replaced
        lifecycle.record_revision(question, None, "State before the first recorded change", data=before)
    if any(name != "status" for name in changed):
        lifecycle.mark_edited(question, request.user)
    lifecycle.record_revision(question, request.user, f"Changed {', '.join(changed)}", status_before=status_before)


class QuizItemLifecycleMixin:
    """For ``QuizItemAdmin``: an item (and its options) is part of its question's content, so editing it
    follows the question's rules (authors only in drafts) and is a revision of the question."""

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        allowed = super().has_change_permission(request, obj)  # type: ignore[misc]
        return allowed and lifecycle.can_edit(request.user, obj.question if obj is not None else None)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        base = super().get_form(request, obj, change=change, **kwargs)  # type: ignore[misc]
        user = request.user

        class ItemForm(base):  # type: ignore[misc, valid-type]
            def clean_question(self) -> Question:
                question = self.cleaned_data["question"]
                if not lifecycle.can_edit(user, question):
                    raise forms.ValidationError(
                        f"“{question.title}” is {question.get_status_display()}; only a reviewer may change its quiz items."
                    )
                return question

        return ItemForm

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        obj._lifecycle_before = _state_before(obj.question_id)
        super().save_model(request, obj, form, change)  # type: ignore[misc]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)  # type: ignore[misc]
        item = form.instance
        _record_change(request, Question.objects.get(pk=item.question_id), item._lifecycle_before)


class LifecycleAdminMixin:
    """For ``QuestionAdmin``: permissions per status, revisions on save, actions and extra pages."""

    actions = ["submit_for_review", "publish", "send_back_to_draft", "retire", "take_file_version", "keep_admin_version"]

    # --- permissions ---------------------------------------------------------------------------

    def has_submit_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(lifecycle.SUBMIT)

    def has_publish_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(lifecycle.PUBLISH)

    def has_change_permission(self, request: HttpRequest, obj: Question | None = None) -> bool:
        # An author sees a queued or published question read-only: changing it would bypass review.
        return super().has_change_permission(request, obj) and lifecycle.can_edit(request.user, obj)  # type: ignore[misc]

    # --- the form ------------------------------------------------------------------------------

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        # The model's default is "published" (for rows made in code); a person's new question is a draft.
        return {"status": Status.DRAFT, **super().get_changeform_initial_data(request)}  # type: ignore[misc]

    def get_form(self, request: HttpRequest, obj: Question | None = None, change: bool = False, **kwargs: Any) -> Any:
        base = super().get_form(request, obj, change=change, **kwargs)  # type: ignore[misc]
        return _status_form(base, request.user, obj.status if obj is not None else Status.DRAFT)

    def get_list_filter(self, request: HttpRequest) -> list[Any]:
        return [*super().get_list_filter(request), EditedInAdminFilter]  # type: ignore[misc]

    def save_model(self, request: HttpRequest, obj: Question, form: Any, change: bool) -> None:
        obj._lifecycle_before = _state_before(obj.pk if change else None)  # type: ignore[attr-defined]
        super().save_model(request, obj, form, change)  # type: ignore[misc]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)  # type: ignore[misc]
        question: Question = form.instance
        if change:
            _record_change(request, question, question._lifecycle_before)  # type: ignore[attr-defined]
        else:
            lifecycle.record_revision(question, request.user, "Created in the admin")

    # --- list cell -------------------------------------------------------------------------------

    @admin.display(description="Status", ordering="status")
    def status_cell(self, question: Question) -> str:
        """'Published', 'Draft · needs review', 'Published · edited in admin': what an editor scans for."""
        parts = [question.get_status_display()]
        if question.needs_review:
            parts.append("needs review")
        if question.is_edited_bank_question:
            parts.append("edited in admin")
        return " · ".join(parts)

    # --- status actions ------------------------------------------------------------------------

    def _move(self, request: HttpRequest, queryset: QuerySet[Question], to: str) -> None:
        """All selected questions move, or none do: the first refusal is reported and everything rolls back."""
        moved = 0
        try:
            with transaction.atomic():
                for question in queryset.select_related("topic"):
                    if question.status == to:
                        continue
                    try:
                        lifecycle.transition(question, to, request.user)
                    except lifecycle.TransitionError as exc:
                        exc.question = question  # type: ignore[attr-defined]
                        raise
                    moved += 1
        except lifecycle.TransitionError as exc:
            title = exc.question.title  # type: ignore[attr-defined]
            self.message_user(request, f"Nothing was changed. Status of “{title}”: {exc.message}.", messages.ERROR)  # type: ignore[attr-defined]
            return
        self.message_user(request, f"{moved} question(s) now {lifecycle.label(to)}.", messages.SUCCESS)  # type: ignore[attr-defined]

    @admin.action(description="Submit selected drafts for review", permissions=["submit"])
    def submit_for_review(self, request: HttpRequest, queryset: QuerySet[Question]) -> None:
        self._move(request, queryset, Status.REVIEW)

    @admin.action(description="Publish selected questions", permissions=["publish"])
    def publish(self, request: HttpRequest, queryset: QuerySet[Question]) -> None:
        self._move(request, queryset, Status.PUBLISHED)

    @admin.action(description="Send selected questions back to draft", permissions=["submit"])
    def send_back_to_draft(self, request: HttpRequest, queryset: QuerySet[Question]) -> None:
        self._move(request, queryset, Status.DRAFT)

    @admin.action(description="Retire selected questions (hide them, keep quiz history)", permissions=["publish"])
    def retire(self, request: HttpRequest, queryset: QuerySet[Question]) -> None:
        self._move(request, queryset, Status.RETIRED)

    # --- bank conflicts --------------------------------------------------------------------------

    def _resolve(self, request: HttpRequest, queryset: QuerySet[Question], resolve: Any, done: str) -> None:
        edited = [q for q in queryset if q.is_edited_bank_question]
        if not edited:
            self.message_user(request, "None of the selected questions is a bank question edited in the admin.", messages.WARNING)  # type: ignore[attr-defined]
            return
        try:
            with transaction.atomic():
                for question in edited:
                    resolve(question, request.user)
        except (BankFileError, OSError) as exc:
            self.message_user(request, f"Nothing was changed. Bank file of “{question.title}”: {exc}", messages.ERROR)  # type: ignore[attr-defined]
            return
        self.message_user(request, f"{len(edited)} question(s): {done}.", messages.SUCCESS)  # type: ignore[attr-defined]

    @admin.action(description="Take the file's version (drop the admin edit)", permissions=["publish"])
    def take_file_version(self, request: HttpRequest, queryset: QuerySet[Question]) -> None:
        self._resolve(request, queryset, bank_loader.take_file_version, "replaced by their bank file")

    @admin.action(description="Keep mine and mark resolved", permissions=["publish"])
    def keep_admin_version(self, request: HttpRequest, queryset: QuerySet[Question]) -> None:
        self._resolve(request, queryset, bank_loader.keep_admin_version, "admin version kept; export it to update the file")

    # --- pages -----------------------------------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view  # type: ignore[attr-defined]
        return [
            path("awaiting-review/", wrap(self.awaiting_review_view), name="questions_question_awaiting_review"),
            path(
                "<path:object_id>/revisions/<int:number>/revert/", wrap(self.revert_view),
                name="questions_question_revert",
            ),
            *super().get_urls(),  # type: ignore[misc]
        ]

    def _page(self, request: HttpRequest, template: str, title: str, **extra: Any) -> HttpResponse:
        context = {**self.admin_site.each_context(request), "opts": Question._meta, "title": title, **extra}  # type: ignore[attr-defined]
        return render(request, template, context)

    def awaiting_review_view(self, request: HttpRequest) -> HttpResponse:
        """The queue: questions in review, oldest submission first, with publish / send back buttons."""
        if not self.has_view_or_change_permission(request):  # type: ignore[attr-defined]
            raise PermissionDenied
        if request.method == "POST":
            question = get_object_or_404(Question, pk=request.POST.get("question"), status=Status.REVIEW)
            to = {"publish": Status.PUBLISHED, "send_back": Status.DRAFT}.get(request.POST.get("action", ""))
            if to is None:
                self.message_user(request, "Action: choose Publish or Send back to draft.", messages.ERROR)  # type: ignore[attr-defined]
            else:
                self._move(request, Question.objects.filter(pk=question.pk), to)
            return HttpResponseRedirect(reverse(AWAITING_REVIEW_URL))
        queued = list(Question.objects.filter(status=Status.REVIEW).select_related("topic").order_by("updated_at"))
        submissions = {
            r.question_id: r for r in Revision.objects.filter(question__in=queued, status_after=Status.REVIEW)
            .exclude(status_before=Status.REVIEW).select_related("author").order_by("number")
        }
        rows = [(q, submissions.get(q.pk)) for q in queued]
        return self._page(
            request, "admin/questions/question/awaiting_review.html", "Awaiting review",
            rows=rows, can_publish=self.has_publish_permission(request),
        )

    def history_view(self, request: HttpRequest, object_id: str, extra_context: dict | None = None) -> HttpResponse:
        """The question's revisions, newest first, each with what changed and a revert button."""
        question = self.get_object(request, unquote(object_id))  # type: ignore[attr-defined]
        if question is None:
            return self._get_obj_does_not_exist_redirect(request, Question._meta, object_id)  # type: ignore[attr-defined]
        if not self.has_view_or_change_permission(request, question):  # type: ignore[attr-defined]
            raise PermissionDenied
        revisions = list(question.revisions.select_related("author").order_by("-number"))
        rows = []
        for newer, older in zip(revisions, [*revisions[1:], None]):
            rows.append((newer, lifecycle.changed_fields(older.snapshot if older else None, newer.snapshot)))
        return self._page(
            request, "admin/questions/question/revisions.html", f"History: {question.title}",
            original=question, rows=rows, can_revert=self.has_change_permission(request, question),
        )

    def revert_view(self, request: HttpRequest, object_id: str, number: int) -> HttpResponse:
        if request.method != "POST":
            return require_POST(lambda r: None)(request)  # a 405 that names the allowed method
        question = self.get_object(request, unquote(object_id))  # type: ignore[attr-defined]
        if question is None or not self.has_change_permission(request, question):
            raise PermissionDenied
        revision = get_object_or_404(Revision, question=question, number=number)
        made = lifecycle.revert(question, revision, request.user)
        self.message_user(request, f"Reverted to revision {number}; saved as revision {made.number}.", messages.SUCCESS)  # type: ignore[attr-defined]
        return HttpResponseRedirect(reverse("admin:questions_question_history", args=[question.pk]))
