"""Pages: the list of exercises and one exercise. Views query and render; grading happens on a worker.

The exercise page works without JavaScript: its form posts Check or Submit here (``submit_form``),
and the page it redirects to shows the submission, reloading itself until the verdict is in. With
JavaScript the same form goes to the JSON API and the verdict appears in place.
"""
from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from prep_site.web.errors import FieldError
from prep_site.web.visitor import visitor_for
from questions.exercises import presenters, progress, submissions
from questions.exercises.models import Exercise, visible_filter
from questions.models import Difficulty, Topic
from sandbox import code_runs

SOLVED_FILTERS = {"": "Any", "solved": "Solved", "attempted": "Attempted, not solved", "new": "Not attempted"}


@require_GET
def exercise_list(request: HttpRequest) -> HttpResponse:
    topic = request.GET.get("topic", "")
    difficulty = request.GET.get("difficulty", "")
    solved = request.GET.get("solved", "")
    exercises = Exercise.objects.visible().select_related("topic")
    if topic:
        exercises = exercises.filter(topic__slug=topic)
    if difficulty in Difficulty.values:
        exercises = exercises.filter(difficulty=difficulty)
    marks = progress.marks(visitor_for(request, create=False))
    rows = [(exercise, marks.get(exercise.pk, "")) for exercise in exercises]
    if solved in SOLVED_FILTERS and solved:
        wanted = {"solved": progress.SOLVED, "attempted": progress.ATTEMPTED, "new": ""}[solved]
        rows = [(exercise, mark) for exercise, mark in rows if mark == wanted]
    return render(request, "exercises/list.html", {
        "rows": rows,
        "topics": Topic.objects.filter(visible_filter("exercises__")).distinct(),
        "topic": topic, "difficulty": difficulty, "solved": solved,
        "difficulties": Difficulty.choices, "solved_filters": SOLVED_FILTERS.items(),
        "solved_count": sum(1 for _, mark in rows if mark == progress.SOLVED),
    })


@require_GET
def exercise_detail(request: HttpRequest, slug: str) -> HttpResponse:
    # Staff who may see exercises in the admin also see drafts here, marked as such (models.previews_drafts);
    # everyone else gets a 404 for what visitors may not see.
    exercise = get_object_or_404(Exercise.objects.shown_to(request.user).select_related("topic"), slug=slug)
    visitor = visitor_for(request, create=False)
    shown = None
    if request.GET.get("submission"):  # the no-JavaScript path lands here after a post
        shown = submissions.visible_submission(request, request.GET["submission"])
        if shown is None or shown.exercise_id != exercise.pk:
            raise Http404("No such submission.")
    code = shown.run.code if shown is not None else exercise.starter
    return render(request, "exercises/detail.html", {
        "exercise": exercise,
        "hidden_from_visitors": not exercise.is_visible(),
        "practises": exercise.practises.published().select_related("topic"),
        "limits": code_runs.limits_sentence(),
        "mark": progress.marks(visitor).get(exercise.pk, ""),
        "attempted": presenters.has_attempted(exercise, visitor),
        "history": presenters.history(exercise, visitor),
        "code": code,
        "shown": shown,
        "shown_verdict_html": presenters.render_verdict(shown) if shown is not None and shown.run.is_final else "",
        "code_runs_off": code_runs.off_notice(),  # cached verdict: said before Check, not after a failed grade
    })


@require_POST
def submit_form(request: HttpRequest, slug: str) -> HttpResponse:
    """The form's own post (no JavaScript): the same validation and queue as the API, then a redirect."""
    page = reverse("exercises:detail", args=[slug])
    data = {"slug": slug, "code": request.POST.get("code", ""), "mode": request.POST.get("mode", "")}
    try:
        wanted = submissions.parse_submit(data, request.user)
        submission, _ = submissions.submit(request, wanted)
    except FieldError as exc:
        if exc.field == "slug" and exc.status == 400:  # no such exercise (for this visitor)
            raise Http404(exc.message) from None
        return render(request, "exercises/form_error.html", {"slug": slug, "page": page, "error": exc}, status=exc.status)
    return HttpResponseRedirect(f"{page}?submission={submission.pk}#result")
