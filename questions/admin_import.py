"""The admin's "Import questions" page: upload files, preview, then commit.

Flow: the upload form parses each file on its own and shows, per file, the
detected format, the warnings and every question with its answer rendered as
readers will see it, or the sentence (file and line) saying why the file cannot
be used; a bad file never holds back the good ones. Each good file has its own
Import button (and one button imports all the good files), and each file is
written in its own transaction. The uploaded bytes stay on the server, in the
session, under a random token; a commit only sends that token and the file's
position back, and re-parses the stored bytes, so nothing the browser could
alter is trusted. Parsing is cheap (no database, no model), so it runs in the
request. Imports land as drafts; importing a file again updates its questions.

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
from questions.markdown import render_markdown

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


@dataclass
class _FileOutcome:
    """One uploaded file after parsing: its items, or the sentence (with file and line) saying why not."""

    index: int
    name: str
    parsed: ParsedFile | None
    error: str = ""


def _parse_each(upload: _Upload) -> list[_FileOutcome]:
    """Every file parsed on its own: a bad file is reported, and never keeps the good ones out."""
    outcomes = []
    for index, (name, data) in enumerate(upload.files):
        try:
            outcomes.append(_FileOutcome(index, name, parse_source(data, name, upload.format or None)))
        except ImportFileError as exc:
            outcomes.append(_FileOutcome(index, name, None, str(exc)))
    return outcomes


def _preview_item(item: Any) -> dict:
    """One question as the preview shows it: rendered Markdown (what readers will see) and the quiz options."""
    quiz = item.quiz
    return {
        "number": item.number,
        "title": first_words(item.title, PREVIEW_WORDS),
        "answer_html": render_markdown(item.answer_md),
        "quiz": quiz.kind if quiz else "",
        "options": [{"text": c.text, "correct": c.correct, "why": c.explanation} for c in quiz.choices] if quiz else [],
        "needs_review": item.needs_review,
    }


def _preview_rows(outcomes: list[_FileOutcome]) -> list[dict]:
    return [
        {"index": o.index, "name": o.name, "file": o.parsed, "error": o.error,
         "items": [_preview_item(item) for item in o.parsed.items] if o.parsed else []}
        for o in outcomes
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


def _render_preview(request: HttpRequest, upload: _Upload, form: UploadForm | None = None) -> HttpResponse:
    outcomes = _parse_each(upload)
    good = [o for o in outcomes if o.parsed is not None]
    if good:
        request.session[SESSION_KEY] = upload.to_session()
    else:
        request.session.pop(SESSION_KEY, None)
    context = _context(
        request,
        form=form or UploadForm(),
        errors=[o.error for o in outcomes if o.error],
        rows=_preview_rows(outcomes),
        good_files=len(good),
        total=sum(len(o.parsed.items) for o in good if o.parsed),
        topic=upload.topic or "imported",
        token=upload.token if good else "",
    )
    return render(request, "admin/questions/import_preview.html", context)


def _preview(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, "admin/questions/import.html", _context(request, form=form))
    files = _read_files(form)
    if files is None:
        return render(request, "admin/questions/import.html", _context(request, form=form))
    upload = _Upload(secrets.token_urlsafe(16), files, form.cleaned_data["topic"], form.cleaned_data["format"])
    return _render_preview(request, upload, form)


def _stored_upload(request: HttpRequest, token: str) -> _Upload | None:
    stored = request.session.get(SESSION_KEY)
    if not stored or not secrets.compare_digest(str(stored.get("token", "")), token):
        return None
    return _Upload.from_session(stored)


def _commit(request: HttpRequest) -> HttpResponse:
    """Commit one file (``file`` = its position) or every file that parsed; each file is its own transaction."""
    upload = _stored_upload(request, request.POST.get("token", ""))
    if upload is None:
        messages.error(request, "That preview has expired or was replaced; upload the files again.")
        return HttpResponseRedirect(request.path)
    chosen = request.POST.get("file", "all")
    outcomes = _parse_each(upload)  # re-parse: the stored bytes are the only input
    targets = [o for o in outcomes if o.parsed is not None and (chosen == "all" or str(o.index) == chosen)]
    if not targets:
        messages.error(request, "Nothing was imported: that file is no longer waiting in this preview.")
        return HttpResponseRedirect(request.path)
    for outcome in targets:
        report = write_files([outcome.parsed], upload.topic or None)  # type: ignore[list-item]
        result = report.files[0]
        messages.success(request, f"File {outcome.name}: imported {result.questions} question{'s' if result.questions != 1 else ''} "
                                  f"as drafts ({result.created} created, {result.updated} updated, "
                                  f"{result.unchanged} unchanged).")
    committed = {o.index for o in targets}
    remaining = [(name, data) for index, (name, data) in enumerate(upload.files)
                 if index not in committed and outcomes[index].parsed is not None]
    if not remaining:
        request.session.pop(SESSION_KEY, None)
        return HttpResponseRedirect(_changelist_url())
    upload.files = remaining
    request.session[SESSION_KEY] = upload.to_session()
    return HttpResponseRedirect(f"{request.path}?token={upload.token}")


def import_view(request: HttpRequest) -> HttpResponse:
    """Upload (GET form, POST preview) and commit (POST with ``action=commit``)."""
    if not request.user.has_perm("questions.add_question"):
        raise PermissionDenied
    if request.method == "POST":
        return _commit(request) if request.POST.get("action") == "commit" else _preview(request)
    waiting = _stored_upload(request, request.GET.get("token", "")) if request.GET.get("token") else None
    if waiting is not None:  # back from committing one file: the others are still waiting
        return _render_preview(request, waiting)
    return render(request, "admin/questions/import.html", _context(request, form=UploadForm()))


def import_urls() -> list[URLPattern]:
    """URL patterns for ``QuestionAdmin.get_urls``; the view is wrapped for staff-only access."""
    return [path("import/", admin.site.admin_view(import_view), name=URL_NAME)]
