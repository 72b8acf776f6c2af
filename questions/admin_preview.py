"""Full preview of a question page from the change form's unsaved data, with the visitor's own template.

The change form's "Preview" button posts the whole form here (a new tab). The
form and its quiz-item formset are validated exactly as a save would, then saved
inside a transaction that is always rolled back: the real ``questions/question.html``
renders from real rows (tags, quiz items with their options, demo panels,
runnable blocks) and nothing stays in the database. Invalid data renders the
errors instead, each naming its field.
"""
from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render
from django.urls import URLPattern, path

from questions import queries
from questions.admin_forms import error_summary
from questions.models import Question

URL_NAME = "questions_question_preview"


class _Rollback(Exception):
    """Raised to leave the preview's transaction once the page is rendered."""


def preview_view(model_admin: admin.ModelAdmin, request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("questions.change_question"):
        raise PermissionDenied
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    obj = None
    object_id = request.GET.get("id", "")
    if object_id:
        obj = model_admin.get_object(request, object_id)
        if obj is None:
            raise PermissionDenied
    form = model_admin.get_form(request, obj, change=obj is not None)(request.POST, request.FILES, instance=obj)
    valid = form.is_valid()
    question = form.save(commit=False) if valid else form.instance
    # The admin's own formset builder (as changeform_view uses it), so the preview validates exactly as a save.
    formsets, _ = model_admin._create_formsets(request, question, change=obj is not None)
    valid = valid and all(formset.is_valid() for formset in formsets)
    if not valid:
        context = {**admin.site.each_context(request), "title": "Preview", "errors": error_summary(form, formsets)}
        return render(request, "admin/questions/question/preview_errors.html", context, status=400)
    response: HttpResponse | None = None
    try:
        with transaction.atomic():
            question.save()
            form.save_m2m()
            for formset in formsets:
                formset.instance = question
                formset.save()
            question = Question.objects.select_related("topic").prefetch_related("tags").get(pk=question.pk)
            context = {"question": question, "neighbours": queries.topic_neighbours(question),
                       "related": queries.related_questions(question), "is_preview": True}
            response = render(request, "questions/question.html", context)
            raise _Rollback
    except _Rollback:
        pass
    assert response is not None
    response["X-Robots-Tag"] = "noindex"
    return response


def preview_urls(model_admin: admin.ModelAdmin) -> list[URLPattern]:
    """For ``QuestionAdmin.get_urls``: ``…/question/preview/`` (add form) or ``…/preview/?id=N`` (change form)."""
    def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return preview_view(model_admin, request)

    return [path("preview/", model_admin.admin_site.admin_view(view), name=URL_NAME)]
