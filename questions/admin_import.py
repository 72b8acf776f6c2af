"""The admin's "Import questions" page: upload files, preview, then commit.

Flow: the upload form parses the files and shows, per file, the detected
format, the number of questions, the warnings and the first words of each
item. The uploaded bytes stay on the server, in the session, under a random
token; the commit button only sends that token back, and the commit re-parses
the stored bytes, so nothing the browser could alter is trusted. Parsing is
cheap (no database, no model), so it runs in the request.

``QuestionAdmin.get_urls`` includes ``import_urls()``; the change list links
to the page from its object tools.
"""
from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import NoReverseMatch, URLPattern, path, reverse

from questions.importers.errors import ImportFileError
from questions.importers.items import ParsedFile
from questions.importers.registry import FORMATS, parse_source
from questions.importers.source import MAX_BYTES
from questions.importers.textblocks import first_words
from questions.importers.writer import topic_slug, write_files

SESSION_KEY = "questions_import_upload"
MAX_FILES = 20
URL_NAME = "questions_question_import"
PREVIEW_WORDS = 140


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """A file field that accepts several files and cleans to a list."""

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list:
        files = data if isinstance(data, (list, tuple)) else [data]
        files = [f for f in files if f]
        if not files:
            raise forms.ValidationError("Choose at least one file.")
        if len(files) > MAX_FILES:
            raise forms.ValidationError(f"files: upload at most {MAX_FILES} files at once (got {len(files)}).")
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


class UploadForm(forms.Form):
    files = MultipleFileField(help_text="Markdown, plain text, GIFT or Aiken; the format is detected per file.")
    topic = forms.CharField(required=False, max_length=80,
                            help_text='Topic for every imported question (created if missing). Empty: "imported".')
    format = forms.ChoiceField(required=False, choices=[("", "Detect per file")] + [(n, n) for n in FORMATS])

    def clean_topic(self) -> str:
        topic = self.cleaned_data["topic"].strip()
        try:
            topic_slug(topic)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None
        return topic


@dataclass
class _Upload:
    """What the session keeps between preview and commit."""

    token: str
    files: list[tuple[str, bytes]]
    topic: str
    format: str

    def to_session(self) -> dict:
        return {
            "token": self.token,
            "files": [[name, base64.b64encode(data).decode("ascii")] for name, data in self.files],
            "topic": self.topic,
            "format": self.format,
        }

    @classmethod
    def from_session(cls, stored: dict) -> _Upload:
        files = [(name, base64.b64decode(data)) for name, data in stored["files"]]
        return cls(stored["token"], files, stored["topic"], stored["format"])


def _parse_all(upload: _Upload) -> tuple[list[ParsedFile], list[str]]:
    parsed: list[ParsedFile] = []
    errors: list[str] = []
    for name, data in upload.files:
        try:
            parsed.append(parse_source(data, name, upload.format or None))
        except ImportFileError as exc:
            errors.append(str(exc))
    return parsed, errors


def _preview_rows(parsed: list[ParsedFile]) -> list[dict]:
    return [
        {
            "file": p,
            "items": [
                {
                    "number": item.number,
                    "title": first_words(item.title, PREVIEW_WORDS),
                    "answer": first_words(item.answer_md, PREVIEW_WORDS),
                    "quiz": item.quiz.kind if item.quiz else "",
                    "needs_review": item.needs_review,
                }
                for item in p.items
            ],
        }
        for p in parsed
    ]


def _changelist_url() -> str:
    try:
        return reverse("admin:questions_question_changelist")
    except NoReverseMatch:
        return reverse("admin:index")


def _context(request: HttpRequest, **extra: Any) -> dict:
    return {**admin.site.each_context(request), "title": "Import questions", "changelist_url": _changelist_url(),
            **extra}


def _read_files(form: UploadForm) -> list[tuple[str, bytes]] | None:
    """The uploaded bytes, or None (with a form error) when they exceed what the session should hold."""
    uploads = form.cleaned_data["files"]
    total = sum(u.size for u in uploads)
    if total > MAX_BYTES:
        form.add_error("files", f"files: {total:,} bytes in all is over the limit of {MAX_BYTES:,} bytes "
                                "per upload; import large banks with manage.py import_questions.")
        return None
    return [(upload.name, upload.read()) for upload in uploads]


def _preview(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, "admin/questions/import.html", _context(request, form=form))
    files = _read_files(form)
    if files is None:
        return render(request, "admin/questions/import.html", _context(request, form=form))
    upload = _Upload(secrets.token_urlsafe(16), files, form.cleaned_data["topic"], form.cleaned_data["format"])
    parsed, errors = _parse_all(upload)
    if errors:
        request.session.pop(SESSION_KEY, None)
    else:
        request.session[SESSION_KEY] = upload.to_session()
    context = _context(
        request,
        form=form,
        errors=errors,
        rows=_preview_rows(parsed),
        total=sum(len(p.items) for p in parsed),
        topic=upload.topic or "imported",
        token=upload.token if not errors else "",
    )
    return render(request, "admin/questions/import_preview.html", context)


def _commit(request: HttpRequest) -> HttpResponse:
    stored = request.session.get(SESSION_KEY)
    if not stored or not secrets.compare_digest(str(stored.get("token", "")), request.POST.get("token", "")):
        messages.error(request, "That preview has expired or was replaced; upload the files again.")
        return HttpResponseRedirect(request.path)
    upload = _Upload.from_session(stored)
    parsed, errors = _parse_all(upload)  # re-parse: the stored bytes are the only input
    if errors:
        messages.error(request, "Nothing was imported: " + " ".join(errors))
        return HttpResponseRedirect(request.path)
    report = write_files(parsed, upload.topic or None)
    del request.session[SESSION_KEY]
    created = sum(f.created for f in report.files)
    updated = sum(f.updated for f in report.files)
    unchanged = sum(f.unchanged for f in report.files)
    messages.success(request, f"Imported {report.total} questions from {len(report.files)} files: "
                              f"{created} created, {updated} updated, {unchanged} unchanged.")
    return HttpResponseRedirect(_changelist_url())


def import_view(request: HttpRequest) -> HttpResponse:
    """Upload (GET form, POST preview) and commit (POST with ``action=commit``)."""
    if not request.user.has_perm("questions.add_question"):
        raise PermissionDenied
    if request.method == "POST":
        return _commit(request) if request.POST.get("action") == "commit" else _preview(request)
    return render(request, "admin/questions/import.html", _context(request, form=UploadForm()))


def import_urls() -> list[URLPattern]:
    """URL patterns for ``QuestionAdmin.get_urls``; the view is wrapped for staff-only access."""
    return [path("import/", admin.site.admin_view(import_view), name=URL_NAME)]
