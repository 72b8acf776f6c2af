"""Quiz pages: presets, taking an attempt, results, history, and the daily review queue.

Views are thin: they read the form, call ``services`` and render. Errors from the
services come back as ``QuizError`` and are shown as a message next to the page.
"""
from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from questions.models import Difficulty, Question, Topic
from questions.quizzes import conf, mastery, presenters, presets, review, services
from questions.quizzes.builder import QuizSpec
from questions.quizzes.errors import NotFound, QuizError
from questions.quizzes.models import Attempt, ReviewCard, ReviewLog
from questions.quizzes.ownership import owner_for


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The preset page: one click on a preset starts a timed quiz."""
    topic = request.GET.get("topic", "")
    owner = owner_for(request, create=False)
    open_attempts = services.attempts_for(owner).filter(status=Attempt.Status.IN_PROGRESS)
    return render(request, "quizzes/index.html", {
        "presets": presets.all_presets(),
        "highlight_topic": topic,
        "topics": Topic.objects.all(),
        "difficulties": Difficulty.choices,
        "recent": services.attempts_for(owner)[:5],
        "open_attempts": open_attempts,
        # Presets with an attempt running: their button resumes it instead of starting another.
        "running_presets": {a.spec.get("preset") for a in open_attempts if a.spec.get("preset")},
    })


@require_POST
def start_preset(request: HttpRequest, key: str) -> HttpResponse:
    """Start the preset, or resume the attempt at it that is still running ("restart": start over)."""
    try:
        attempt = services.start_preset(owner_for(request), key, restart=request.POST.get("restart") == "1")
    except QuizError as exc:
        messages.error(request, exc.message)
        return redirect("quizzes:index")
    return redirect(attempt)


@require_POST
def start_custom(request: HttpRequest) -> HttpResponse:
    data = {
        "topics": request.POST.getlist("topics"),
        "difficulties": request.POST.getlist("difficulties"),
        "count": request.POST.get("count", "10"),
        "drills": request.POST.get("drills", "0") or "0",
        "time_limit_minutes": request.POST.get("time_limit_minutes", "15"),
        "mode": request.POST.get("mode", "mixed"),
        "title": "Custom quiz",
    }
    try:
        attempt = services.start_attempt(owner_for(request), QuizSpec.from_data(data))
    except QuizError as exc:
        messages.error(request, f"{exc.field.replace('_', ' ').capitalize()}: {exc.message}")
        return redirect("quizzes:index")
    return redirect(attempt)


def _attempt_or_404(request: HttpRequest, attempt_id: object) -> Attempt:
    try:
        return services.get_attempt(owner_for(request, create=False), attempt_id)
    except NotFound:
        raise Http404("No such attempt for this account or visitor.") from None


@require_GET
def take(request: HttpRequest, attempt_id: object) -> HttpResponse:
    attempt = _attempt_or_404(request, attempt_id)
    if attempt.is_finished:
        return redirect("quizzes:results", attempt.pk)
    payload = presenters.attempt_payload(attempt)
    return render(request, "quizzes/take.html", {"attempt": attempt, "payload": payload, "slots": payload["slots"],
                                                 "max_free_text_chars": conf.max_free_text_chars()})


@require_POST
def submit(request: HttpRequest, attempt_id: object) -> HttpResponse:
    """The no-JavaScript path: save every field of the form, then finish. With JS, answers are already saved."""
    attempt = _attempt_or_404(request, attempt_id)
    owner = owner_for(request, create=False)
    if not attempt.is_finished:
        for slot in attempt.slots.all():
            name = f"slot-{slot.position}"
            if name not in request.POST:
                continue
            value = request.POST.getlist(name) if slot.spec.answer_input == "many" else request.POST.get(name)
            try:
                services.save_answer(owner, attempt.pk, slot.position, value)
            except QuizError as exc:
                messages.warning(request, f"Question {slot.position}: {exc.message} It was not counted.")
                # What was typed replaces any earlier answer, as on the page with JavaScript: a stale
                # answer must not be graded while the taker was told this one does not count.
                services.save_answer(owner, attempt.pk, slot.position, None)
        services.finish(owner, attempt.pk)
    return redirect("quizzes:results", attempt.pk)


@require_GET
def results(request: HttpRequest, attempt_id: object) -> HttpResponse:
    attempt = _attempt_or_404(request, attempt_id)
    if not attempt.is_finished:
        return redirect(attempt)
    return render(request, "quizzes/results.html", {"attempt": attempt, "result": presenters.results_payload(attempt)})


@require_POST
def self_grade(request: HttpRequest, attempt_id: object) -> HttpResponse:
    owner = owner_for(request, create=False)
    try:
        services.self_grade(owner, attempt_id, request.POST.get("slot"), request.POST.get("score"))
    except NotFound:
        raise Http404("No such attempt for this account or visitor.") from None
    except QuizError as exc:
        messages.error(request, exc.message)
    return HttpResponseRedirect(f"{_results_url(attempt_id)}#q{request.POST.get('slot', '')}")


def _results_url(attempt_id: object) -> str:
    return reverse("quizzes:results", args=[attempt_id])


@require_POST
def retry(request: HttpRequest, attempt_id: object) -> HttpResponse:
    try:
        attempt = services.retry_mistakes(owner_for(request), attempt_id)
    except NotFound:
        raise Http404("No such attempt for this account or visitor.") from None
    except QuizError as exc:
        messages.info(request, exc.message)
        return redirect("quizzes:results", attempt_id)
    return redirect(attempt)


@require_GET
def history(request: HttpRequest) -> HttpResponse:
    owner = owner_for(request, create=False)
    attempts = services.attempts_for(owner)
    return render(request, "quizzes/history.html", {
        "attempts": attempts[:100],
        "charts": mastery.topic_charts(owner),
    })


@require_GET
def review_queue(request: HttpRequest) -> HttpResponse:
    owner = owner_for(request, create=False)
    cards = list(review.due_cards(owner)[:50]) if owner else []
    # With nothing due, say when something will be: an empty page alone reads as "rating did nothing".
    scheduled = (
        ReviewCard.objects.filter(owner.filter(), question__in=Question.objects.published()).order_by("due")
        if owner and not cards else ReviewCard.objects.none()
    )
    return render(request, "quizzes/review.html", {
        "cards": cards, "ratings": review.RATINGS,
        "scheduled_count": scheduled.count(), "next_due": scheduled.first(),
    })


@require_POST
def rate(request: HttpRequest, question_id: int) -> HttpResponse:
    """One FSRS rating, from the review queue or the "How well did you know this?" form on a question page."""
    question = get_object_or_404(Question.objects.published(), pk=question_id)
    source = ReviewLog.Source.REVIEW if request.POST.get("source") == "review" else ReviewLog.Source.SELF
    try:
        rating = review.parse_rating(request.POST.get("rating", ""))
    except review.InvalidRating as exc:
        messages.error(request, str(exc).capitalize())
    else:
        card = review.record_review(owner_for(request), question, rating, source)
        messages.success(request, f"Saved. “{question.title}” comes back for review on {card.due:%d %b %Y}.")
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = question.get_absolute_url() if source == ReviewLog.Source.SELF else "/quiz/review/"
    return HttpResponseRedirect(next_url)
