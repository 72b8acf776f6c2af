"""Quiz pages: presets, taking an attempt, results, history, and the review session.

Views are thin: they read the form, call ``services`` and render. Errors from the
services come back as ``QuizError`` and are shown as a message next to the page.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET, require_POST

from prep_site.web.errors import error_response
from questions import queries
from questions.models import Difficulty, Question, Topic, published_filter
from questions.quizzes import activity, clock, conf, mastery, presenters, presets, review, services
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
        "heatmap": activity.heatmap(owner),
    })


# --- the review session -------------------------------------------------------------------------------

SESSION_KEY = "review_session"  # {"started": iso time, "last": iso time} in the Django session
SESSION_IDLE = timedelta(hours=1)  # a pause longer than this starts a new session (and a new summary)


def _session_start(request: HttpRequest, touch: bool) -> datetime | None:
    """When this review session began; ``touch`` starts one (or extends it) at the current time."""
    now = clock.now()
    data = request.session.get(SESSION_KEY) or {}
    started = parse_datetime(data.get("started", "")) if data else None
    last = parse_datetime(data.get("last", "")) if data else None
    if started is None or last is None or now - last > SESSION_IDLE:
        started = now if touch else None
    if touch:
        request.session[SESSION_KEY] = {"started": started.isoformat(), "last": now.isoformat()}
    return started


def _review_page(request: HttpRequest, status: int = 200, error: str = "") -> HttpResponse:
    owner = owner_for(request, create=False)
    after = request.GET.get("after", "")
    current = review.next_card(owner, after=int(after) if after.isdigit() else None)
    started = _session_start(request, touch=current is not None) if owner else None
    summary = review.session_summary(owner, started) if started else None
    scheduled = ReviewCard.objects.filter(owner.filter(), published_filter("question__")) if owner else None
    return render(request, "quizzes/review.html", {
        "current": current,
        "due_now": review.due_count(owner) if current is not None else 0,
        "revealed": current is not None and request.GET.get("reveal") == str(current.card.pk),
        "summary": summary,
        "error": error,
        "scheduled_count": scheduled.count() if scheduled is not None and current is None else 0,
        "next_due": scheduled.order_by("due").first() if scheduled is not None and current is None else None,
    }, status=status)


@require_GET
def review_queue(request: HttpRequest) -> HttpResponse:
    """One card at a time: the prompt, Reveal, then Again / Hard / Good / Easy with each one's next interval."""
    return _review_page(request)


@require_POST
def grade(request: HttpRequest, card_id: int) -> HttpResponse:
    """A grade from the session. JSON callers get JSON; the form gets the next card (303) or the page with
    the refusal (400/403/404), and nothing is changed by a refused grade."""
    wants_json = "application/json" in request.headers.get("Accept", "")
    try:
        graded = review.grade(owner_for(request, create=False), card_id, request.POST.get("rating", ""),
                              request.POST.get("token", ""))
    except review.ReviewRefused as exc:
        if wants_json:
            return error_response(exc.field, exc.message, exc.status)
        return _review_page(request, status=exc.status, error=exc.message)
    interval = review.format_interval(graded.card.due - clock.now())
    if wants_json:
        return JsonResponse({"counted": graded.counted, "due": graded.card.due.isoformat(), "interval": interval,
                             "next": reverse("quizzes:review")})
    if graded.counted:
        messages.success(request, f"Graded. This card comes back in {interval}.")
    response = HttpResponseRedirect(f"{reverse('quizzes:review')}?after={graded.card.pk}")
    response.status_code = 303
    return response


@require_POST
def rate(request: HttpRequest, question_id: int) -> HttpResponse:
    """The "How well did you know this?" form on a question page: one FSRS rating, counted once per reveal.

    Afterwards the learner goes on: to the review session when a card is due, else to the next question
    of the topic, rather than back to the top of the page they just read.
    """
    question = get_object_or_404(Question.objects.published().select_related("topic"), pk=question_id)
    owner = owner_for(request)
    back = f"{question.get_absolute_url()}#self-rating"
    try:
        rating = review.parse_rating(request.POST.get("rating", ""))
        expected = review.token_version_for(question, request.POST.get("token", ""))
        card = review.record_review(owner, question, rating, ReviewLog.Source.SELF, expected_reviews=expected)
    except review.InvalidRating as exc:
        messages.error(request, str(exc).capitalize())
        return HttpResponseRedirect(back)
    except review.ReviewRefused as exc:
        messages.error(request, exc.message)
        return HttpResponseRedirect(back)
    when = f"in {review.format_interval(card.due - clock.now())}"
    if review.due_count(owner):
        messages.success(request, f"Saved: “{question.title}” comes back {when}. Now the cards that are due.")
        return redirect("quizzes:review")
    following = queries.topic_neighbours(question).next
    if following is not None:
        messages.success(request, f"Saved: “{question.title}” comes back {when}. Here is the next question "
                                  f"in {question.topic.title}.")
        return HttpResponseRedirect(following.get_absolute_url())
    messages.success(request, f"Saved: “{question.title}” comes back {when}. That was the last question of "
                              f"{question.topic.title}.")
    return HttpResponseRedirect(question.topic.get_absolute_url())
