"""Every page type in real Chromium, checked by axe-core in light and dark mode at 1280 px and 390 px.

Each page is loaded once; the viewport and the emulated colour scheme then change under it and
axe (vendored in tests/browser/vendor/axe-core/, see its README) runs four times: zero violations
is the bar, including axe's best-practice rules and WCAG 2.2's target size (off by default in axe,
switched on here). At 390 px the same page is also checked for what axe does not measure: the
page never scrolls sideways, every input and button is at least 24 × 24 px, and the header stays
compact; and no page has two search boxes.

A page added later is one ``PageCase`` line: ``LATER_PAGES`` below holds the pages other branches
are building; each is skipped, saying why, until its URL exists.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.urls import Resolver404, resolve

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE_JS = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
DESKTOP, PHONE = 1280, 390
SCHEMES = ("light", "dark")
MIN_TARGET_PX = 24  # WCAG 2.2 SC 2.5.8, Target Size (Minimum)
# Two short rows (brand + account, then the menu) measure 79-84 px; the old three-row header was 145 px.
PHONE_HEADER_MAX_PX = 90


# --- what the pages show ----------------------------------------------------------------------------


@dataclass
class Site:
    """The rows the pages need; ``url`` functions in the page list read them."""

    topic: Any
    question: Any  # with demos, a finished measurement shown, quiz items
    easy: Any
    run: Any  # the finished measurement on ``question``
    attempt_open: Any
    attempt_done: Any
    user: Any
    extra: dict[str, Any] = field(default_factory=dict)  # rows that pages added later need


def _register_wide_demo() -> None:
    """A demo whose table is wider than a phone and whose chart has several long series names."""
    from engine.demos.registry import REGISTRY, Param, register

    if "a11y_wide" in REGISTRY:
        return

    @register(
        "a11y_wide",
        title="Memory per token by cache layout",
        summary="A test demo with a wide table and a chart with a series in every palette colour.",
        params=(Param("layers", int, 32, "number of transformer layers", min=1, max=128),),
    )
    def wide(params: dict[str, Any], progress: Any) -> dict[str, Any]:
        lengths = [128 * 2**i for i in range(6)]
        layouts = ["multi-head attention fp16", "grouped-query attention fp16", "multi-query attention fp16",
                   "grouped-query attention int8 cache"]  # fmt: skip
        per_token = [2 * params["layers"] * 4096 * 2, 2 * params["layers"] * 1024 * 2, 2 * params["layers"] * 128 * 2,
                     2 * params["layers"] * 1024]  # fmt: skip
        columns = ["sequence length"] + [f"{name} (bytes)" for name in layouts] + ["ratio MHA/GQA", "ratio MHA/MQA"]
        rows = [[n] + [n * b for b in per_token] + [per_token[0] / per_token[1], per_token[0] / per_token[2]]
                for n in lengths]  # fmt: skip
        return {
            "title": f"Cache bytes for {params['layers']} layers",
            "metrics": [{"name": "MHA per token", "value": per_token[0], "unit": "bytes"}],
            "table": {"columns": columns, "rows": rows},
            "charts": [{
                "title": "Cache size by sequence length", "x_label": "sequence length (tokens)",
                "y_label": "cache size (bytes)", "log_x": True, "log_y": True,
                # Eight series, one per palette colour: the stylesheet's per-scheme colours are checked too.
                "series": [{"name": f"{name}, {batch}", "x": lengths, "y": [n * b * batch for n in lengths]}
                           for batch in (1, 8) for name, b in zip(layouts, per_token)],
            }],  # fmt: skip
            "notes": ["Computed, not measured: a layout test."],
        }


def _finished_run(demo: str, params: dict[str, Any]) -> Any:
    from engine.environment import ENGINE_VERSION
    from sandbox.jobs.execution import execute
    from sandbox.models import Run

    run = Run.objects.create(kind=Run.Kind.DEMO, demo=demo, params=params, engine_version=ENGINE_VERSION)
    execute(str(run.pk))
    run.refresh_from_db()
    return run


@pytest.fixture
def site(settings) -> Site:
    import tests.sandbox.demo_fixtures  # noqa: F401  (fixture_chart, fixture_crash)
    from django.contrib.auth import get_user_model
    from engine.environment import ENGINE_VERSION
    from questions.models import Choice, Question, QuizItem, Tag, Topic
    from questions.quizzes import builder, clock, services
    from questions.quizzes.ownership import Owner
    from questions.quizzes.review import parse_rating, record_review
    from sandbox.models import Run

    settings.SANDBOX_PRELOAD_MODEL = False
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "a11y"}}
    _register_wide_demo()

    topic = Topic.objects.create(slug="kv-cache", title="KV caching", intro="How the cache grows and how to shrink it.")
    tag, _ = Tag.objects.get_or_create(slug="memory")
    body = (
        "**Short answer.** The cache holds keys and values for every layer, so it grows with the sequence.\n\n"
        "| layout | heads for K/V | bytes per token | relative size | typical models | notes on quality |\n"
        "|---|---|---|---|---|---|\n"
        "| multi-head | 32 | 524,288 | 1 | GPT-2, Llama 1 | the baseline every other layout is compared with |\n"
        "| grouped-query | 8 | 131,072 | 1/4 | Llama 2 70B, Mistral | close to multi-head on most benchmarks |\n\n"
        "```python run\nprint(2 * 32 * 4096 * 2)\n```\n"  # a runnable block: editor, Run button, output
    )
    question = Question.objects.create(
        slug="kv-cache-size", topic=topic, title="How large is the KV cache?", difficulty="medium",
        answer_md=body, demos=["fixture_chart", "a11y_wide"],
    )  # fmt: skip
    question.tags.set([tag])
    easy = Question.objects.create(slug="what-is-cached", topic=topic, title="What does the KV cache store?",
                                   difficulty="easy", answer_md="**Short answer.** Keys and values.")  # fmt: skip
    Question.objects.create(slug="paged-attention", topic=topic, title="Why page the KV cache?", difficulty="hard",
                            answer_md="**Short answer.** Paging removes fragmentation.")  # fmt: skip
    single = QuizItem.objects.create(question=easy, key="stored", kind="single", prompt="What does the cache store?")
    Choice.objects.create(item=single, text="Keys and values for every earlier token, in every layer",
                          is_correct=True)  # fmt: skip
    Choice.objects.create(item=single, text="The attention output of every earlier token")
    QuizItem.objects.create(question=question, key="bytes", kind="numeric", prompt="Bytes per token?",
                            numeric_answer=524288, tolerance=0.01, unit="bytes")  # fmt: skip

    # The measurements each question page shows at its default parameters, and runs in other states.
    run = _finished_run("fixture_chart", {"max_len": 1024, "label": "causal"})
    _finished_run("a11y_wide", {"layers": 32})
    _finished_run("fixture_crash", {})
    Run.objects.create(kind=Run.Kind.DEMO, demo="fixture_chart", params={"max_len": 64, "label": "full"},
                       engine_version=ENGINE_VERSION)  # queued, never picked up  # fmt: skip

    user = get_user_model().objects.create_superuser("ada", "ada@example.com", None)  # signed in by session, no hashing
    owner = Owner(user_id=user.pk, anon_key="")
    spec = builder.QuizSpec(title="KV caching", topics=("kv-cache",), count=3, drills=1, mode="mixed")
    attempt_done = services.start_attempt(owner, spec)
    # One right answer and one open answer, so the results show a verdict and the 0-2 self-grade buttons.
    numeric = attempt_done.slots.get(kind="numeric")
    services.save_answer(owner, attempt_done.pk, numeric.position, 524288)
    free = attempt_done.slots.get(kind="free")
    services.save_answer(owner, attempt_done.pk, free.position, "Fixed-size pages end fragmentation.")
    attempt_done = services.finish(owner, attempt_done.pk)
    attempt_open = services.start_attempt(owner, spec)
    # A card that came due yesterday: the review queue has something to show.
    card = record_review(owner, easy, parse_rating("again"), "self", when=clock.now() - timedelta(days=3))
    return Site(topic=topic, question=question, easy=easy, run=run, attempt_open=attempt_open,
                attempt_done=attempt_done, user=user, extra={"due_card": card})  # fmt: skip


# --- the pages --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PageCase:
    name: str
    url: Callable[[Site], str]
    signed_in: bool = True
    # Something to do on the page before checking it (submit a form so its errors show, …).
    prepare: Callable[[Any], None] | None = None


def _signup_with_errors(page: Any) -> None:
    """Submit the sign-up form with a taken e-mail and mismatched passwords: the errors are what is checked."""
    page.get_by_label("Username").fill("grace")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Password", exact=True).fill("a long enough passphrase")
    page.get_by_label("Password confirmation").fill("a different passphrase")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_selector("[aria-invalid=true]")


def _reveal_answer(page: Any) -> None:
    """Self-test mode hides the answer (its tables and formulas, and the demos) until Reveal; show it."""
    page.get_by_role("button", name="Reveal answer").click()
    page.locator("#answer-panel").wait_for(state="visible")


def _demo_field_error(page: Any) -> None:
    """A parameter out of range, so the demo panel's inline error and aria-invalid are on the page too."""
    panel = page.locator('.demo-panel[data-demo="a11y_wide"]')
    if not panel.get_by_label("layers").is_visible():  # self-test mode hides the demos with the answer
        _reveal_answer(page)
    panel.get_by_label("layers").fill("999")
    panel.get_by_role("button", name="Run").click()
    panel.locator(".demo-field-error").wait_for(state="visible")


PAGES = [
    PageCase("home", lambda s: "/"),
    PageCase("home-anonymous", lambda s: "/", signed_in=False),
    PageCase("topic", lambda s: s.topic.get_absolute_url()),
    PageCase("tag", lambda s: "/tags/memory/"),
    PageCase("question-with-demos", lambda s: s.question.get_absolute_url(), prepare=_reveal_answer),
    # The answer still hidden by self-test mode; a demo parameter refused next to its field.
    PageCase("question-demo-error", lambda s: s.question.get_absolute_url(), prepare=_demo_field_error),
    PageCase("search", lambda s: "/search/?q=kv+cache"),
    PageCase("search-empty", lambda s: "/search/"),
    PageCase("quiz-index", lambda s: "/quiz/"),
    PageCase("quiz-take", lambda s: s.attempt_open.get_absolute_url()),
    PageCase("quiz-results", lambda s: f"/quiz/a/{s.attempt_done.pk}/results/"),
    PageCase("review", lambda s: "/quiz/review/"),
    PageCase("history", lambda s: "/quiz/history/"),
    PageCase("runs", lambda s: "/runs/"),
    PageCase("run-detail", lambda s: s.run.get_absolute_url()),
    PageCase("signup", lambda s: "/accounts/signup/", signed_in=False),
    PageCase("signup-errors", lambda s: "/accounts/signup/", signed_in=False, prepare=_signup_with_errors),
    PageCase("login", lambda s: "/accounts/login/", signed_in=False),
    PageCase("password-reset", lambda s: "/accounts/password-reset/", signed_in=False),
    PageCase("not-found", lambda s: "/no/such/page/"),
    PageCase("admin-question", lambda s: f"/admin/questions/question/{s.question.pk}/change/"),
    # The exercise authoring form (fields, code editors, a wrong-solution row), empty as "Add" opens it.
    PageCase("admin-exercise-new", lambda s: "/admin/exercises/exercise/add/"),
    PageCase("admin-exercise-revision", lambda s: _refused_revision_url()),
]


def _refused_revision_url() -> str:
    """A revision of an exercise that validation refused: the outcome's sentences are what is checked."""
    from questions.exercises.models import ExerciseRevision

    revision = ExerciseRevision.objects.create(
        slug="a11y-add-one", files={"reference.py": "def add_one(x):\n    return x\n"}, content_hash="0" * 64,
        state=ExerciseRevision.State.REFUSED,
        refusal="the reference fails hidden case `large-vector` (seed 0): values differ at [0]",
    )
    return f"/admin/exercises/exercise/revisions/{revision.pk}/"

BY_NAME = {case.name: case for case in PAGES}

def _exercise_url(site: Site) -> str:
    """An exercise page needs an exercise row (branch ex-web); the import fails until that lands."""
    from questions.exercises.models import Exercise

    exercise = Exercise.objects.create(
        slug="a11y-kv-bytes", title="Bytes of KV cache per token", topic=site.topic, function="kv_bytes",
        signature="def kv_bytes(layers: int, kv_heads: int, head_dim: int, dtype_bytes: int) -> int",
        statement_md="Return the bytes one token adds to the KV cache.",
        starter="def kv_bytes(layers, kv_heads, head_dim, dtype_bytes):\n    raise NotImplementedError\n",
    )  # fmt: skip
    exercise.practises.set([site.question])
    return f"/exercises/{exercise.slug}/"


# ---- Pages other branches are building: one line each. A page whose URL or model is not on this branch
# ---- yet is skipped, saying so; it is checked as soon as the branch that builds it is merged.
LATER_PAGES = [
    PageCase("topics-index", lambda s: "/topics/"),  # study-review: the /topics/ index
    # study-review: the review session at /quiz/review/ ("review" above), with its card's answer revealed.
    PageCase("review-revealed", lambda s: f"/quiz/review/?reveal={s.extra['due_card'].pk}"),
    PageCase("exercises", lambda s: "/exercises/"),  # ex-web: the list
    PageCase("exercise", _exercise_url),  # ex-web: one exercise with its editor
]


# --- the browser side -------------------------------------------------------------------------------


@pytest.fixture
def open_page(open_context, live_server, site: Site) -> Iterator[Callable[[PageCase], Any]]:
    """Open a case's page in a fresh context (signed in as the staff user when the case says so)."""
    from django.conf import settings
    from django.test import Client

    def open_case(case: PageCase) -> Any:
        if case not in LATER_PAGES:
            url = case.url(site)
        else:
            try:
                url = case.url(site)
                resolve(url.split("?")[0])
            except (ImportError, Resolver404) as missing:
                why = f"no URL {url}" if isinstance(missing, Resolver404) else str(missing)
                pytest.skip(f"{case.name} is not on this branch yet: {why}")
        context = open_context(viewport={"width": DESKTOP, "height": 900})
        # An init script runs in every page before the page's own scripts and is not subject to the CSP.
        context.add_init_script(path=str(AXE_JS))
        if case.signed_in:
            client = Client()
            client.force_login(site.user)
            cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
            context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
        page = context.new_page()
        page.goto(url)
        if case.prepare:
            case.prepare(page)
        return page

    yield open_case


# axe's own defaults (every WCAG 2.0-2.2 A/AA rule and its best practices) plus target size, which axe
# ships switched off. Only violations come back: "incomplete" results need a person to look.
AXE_RUN = """async () => {
  // Colours fade in over a transition (the admin's links) after the scheme changes: measure the end.
  await Promise.all(document.getAnimations().map(a => a.finished.catch(() => null)));
  const result = await axe.run(document, {
    rules: {"target-size": {enabled: true}},
    resultTypes: ["violations"],
  });
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => ({target: n.target.join(" "), summary: n.failureSummary})),
  }));
}"""

# Inputs and buttons smaller than the minimum, measured as laid out (hidden ones have no box).
SMALL_TARGETS = """(min) => Array.from(document.querySelectorAll(
    'input:not([type=hidden]), button, select, textarea, a.button, summary'))
  .filter(el => el.getClientRects().length && getComputedStyle(el).visibility !== 'hidden')
  .map(el => [el, el.getBoundingClientRect()])
  .filter(([el, r]) => r.width < min || r.height < min)
  .map(([el, r]) => `${el.outerHTML.slice(0, 80)} is ${Math.round(r.width)}x${Math.round(r.height)}`)"""

# Wider than the viewport: what sticks out (the page itself must never scroll sideways).
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth <= width) return [];
  return Array.from(document.querySelectorAll('body *'))
    .filter(el => el.getBoundingClientRect().right > width + 1)
    .slice(0, 5).map(el => el.outerHTML.slice(0, 100));
}"""


def _axe_problems(page: Any) -> list[str]:
    return [
        f"{v['id']} ({v['impact']}): {v['help']}\n"
        + "\n".join(f"    {n['target']}: {n['summary']}" for n in v["nodes"])
        for v in page.evaluate(AXE_RUN)
    ]


def _search_box_problems(page: Any) -> list[str]:
    """One search box per page: home, search and 404 have their own, so the header's goes there."""
    boxes = page.locator("input[type=search]").count()
    return [f"{boxes} search boxes on one page"] if boxes > 1 else []


def _phone_problems(page: Any) -> list[str]:
    problems = [f"sticks out of the 390 px page: {html}" for html in page.evaluate(OVERFLOW)]
    problems += [f"tap target below {MIN_TARGET_PX} px: {t}" for t in page.evaluate(SMALL_TARGETS, MIN_TARGET_PX)]
    header = page.locator(".site-header")
    if header.count():  # the admin has its own header
        height = header.bounding_box()["height"]
        if height > PHONE_HEADER_MAX_PX:
            problems.append(f"the header is {height:.0f} px tall at 390 px (at most {PHONE_HEADER_MAX_PX})")
    return problems


@pytest.mark.parametrize("case", PAGES + LATER_PAGES, ids=lambda case: case.name)
def test_page_has_no_accessibility_violations(case: PageCase, open_page) -> None:
    page = open_page(case)
    problems: dict[str, list[str]] = {}
    for width in (DESKTOP, PHONE):
        page.set_viewport_size({"width": width, "height": 900})
        for scheme in SCHEMES:
            page.emulate_media(color_scheme=scheme)
            found = _axe_problems(page)
            if width == PHONE and scheme == SCHEMES[0]:
                found += _phone_problems(page)
            if width == DESKTOP and scheme == SCHEMES[0]:
                found += _search_box_problems(page)
            if found:
                problems[f"{scheme} at {width} px"] = found
    assert not problems, f"{case.name} ({page.url}):\n" + "\n".join(
        f"  {where}:\n" + "\n".join(f"    {p}" for p in found) for where, found in problems.items()
    )


# --- phone layout of measured results ---------------------------------------------------------------


def _contrast(first: str, second: str) -> float:
    """WCAG contrast ratio of two computed colours ("rgb(r, g, b)")."""

    def luminance(css: str) -> float:
        channels = [int(part) / 255 for part in css[css.index("(") + 1 : css.index(")")].split(",")[:3]]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_charts_fit_a_phone_with_their_legend_and_wide_tables_say_they_scroll(open_page) -> None:
    page = open_page(BY_NAME["question-with-demos"])
    page.set_viewport_size({"width": PHONE, "height": 900})
    panel = page.locator('.demo-panel[data-demo="a11y_wide"]')
    chart = panel.locator("svg.demo-chart:visible")
    assert chart.count() == 1
    figure, svg, legend = (box.bounding_box() for box in (panel.locator(".demo-chart-figure"), chart,
                                                          chart.locator(".legend")))  # fmt: skip
    assert svg["width"] <= figure["width"] + 0.5, "the chart is wider than its panel: it scrolls instead of scaling"
    assert legend["x"] >= svg["x"] and legend["x"] + legend["width"] <= svg["x"] + svg["width"] + 0.5
    assert legend["y"] + legend["height"] <= svg["y"] + svg["height"] + 0.5
    # Text stays readable: the chart is drawn for a phone's width, not a desktop chart shrunk to 60 %.
    font_px = page.evaluate(
        "(svg) => parseFloat(getComputedStyle(svg.querySelector('.tick text')).fontSize)"
        " * svg.getBoundingClientRect().width / svg.viewBox.baseVal.width",
        chart.element_handle(),
    )
    assert font_px >= 9.5, f"tick labels render at {font_px:.1f} px"

    # Lines and markers need 3:1 against the panel (WCAG 1.4.11), in both schemes.
    for scheme in SCHEMES:
        page.emulate_media(color_scheme=scheme)
        background = page.evaluate("(el) => getComputedStyle(el).backgroundColor", panel.element_handle())
        strokes = chart.locator(".series polyline").evaluate_all("els => els.map(e => getComputedStyle(e).stroke)")
        assert len(strokes) == 8
        weak = [s for s in strokes if _contrast(s, background) < 3]
        assert not weak, f"{scheme}: series colours under 3:1 against {background}: {weak}"

    scroller = panel.locator(".table-scroll")
    assert page.evaluate("(el) => el.scrollWidth > el.clientWidth", scroller.element_handle())
    assert scroller.get_attribute("tabindex") == "0" and scroller.get_attribute("role") == "region"
    assert "scroll" in (scroller.get_attribute("aria-label") or "").lower()
    hint = panel.locator(".scroll-hint")
    assert hint.is_visible() and "scroll" in hint.inner_text().lower()
    # Keyboard scrolling: focus the region, press the right arrow, it moves.
    scroller.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("(el) => el.scrollLeft > 0", arg=scroller.element_handle())

    # At desktop width the same table fits: no hint, no extra tab stop.
    page.set_viewport_size({"width": DESKTOP, "height": 900})
    page.wait_for_function("(el) => !el.hasAttribute('tabindex')", arg=scroller.element_handle())
    assert hint.is_hidden()


def test_demo_inputs_and_errors_are_tied_to_their_text(open_page) -> None:
    page = open_page(BY_NAME["question-demo-error"])
    field = page.locator('.demo-panel[data-demo="a11y_wide"]').get_by_label("layers")
    described = field.get_attribute("aria-describedby").split()
    texts = [page.locator(f"#{ident}").inner_text() for ident in described]
    assert any("range 1–128" in text for text in texts), texts
    assert any("layers must be between 1 and 128" in text for text in texts), texts
    assert field.get_attribute("aria-invalid") == "true"
    # Fixing the value and running again clears the error state.
    field.fill("16")
    page.locator('.demo-panel[data-demo="a11y_wide"]').get_by_role("button", name="Run").click()
    page.wait_for_function("(el) => !el.hasAttribute('aria-invalid')", arg=field.element_handle())


def test_sign_up_errors_mark_their_fields(open_page) -> None:
    page = open_page(BY_NAME["signup-errors"])
    for label in ("Email", "Password confirmation"):
        field = page.get_by_label(label, exact=True)
        assert field.get_attribute("aria-invalid") == "true", label
    for described in page.locator("[aria-describedby]").all():
        for ident in described.get_attribute("aria-describedby").split():
            assert page.locator(f"#{ident}").count() == 1, f"aria-describedby points at a missing #{ident}"




def test_a_refused_quiz_answer_marks_its_field(open_page) -> None:
    page = open_page(BY_NAME["quiz-take"])
    # The question's own slot: the quiz's random drill may ask for bytes too.
    field = page.locator(".quiz-slot", has_text="Bytes per token?").get_by_label("Your answer (bytes)")
    field.fill("4 GiB")
    field.blur()
    page.wait_for_function("(el) => el.getAttribute('aria-invalid') === 'true'", arg=field.element_handle())
    message = page.locator(f"#{field.get_attribute('aria-describedby')}")
    assert message.is_visible() and message.inner_text()
    field.fill("5.2e5")
    field.blur()
    page.wait_for_function("(el) => !el.hasAttribute('aria-invalid')", arg=field.element_handle())
