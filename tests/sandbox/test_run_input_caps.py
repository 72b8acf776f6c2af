"""Caps on what a visitor may submit: every string demo parameter has a length limit, and NUL is refused.

Finding 6 of the attack suite: a 4 MB string parameter was accepted and its result
published. A NUL character would reach PostgreSQL (finding 7), which refuses it.
"""

from __future__ import annotations

import pytest
from run_factories import field_error

from engine.demos import all_demos
from sandbox.models import Run

pytestmark = pytest.mark.django_db


def _free_text_param() -> tuple[str, str]:
    """A real demo's string parameter that has no list of choices (only a length cap can bound it)."""
    for demo in all_demos():
        for param in demo.params:
            if param.kind is str and not param.choices:
                return demo.name, param.name
    pytest.skip("no demo has a free-text parameter")


def test_an_oversize_string_parameter_is_refused_naming_it(post_run, no_broker, settings):
    settings.SANDBOX_PARAM_MAX_CHARS = 100
    demo, param = _free_text_param()
    # Long enough to break the parameter's cap, short enough to pass the body-size limit checked before it.
    response = post_run({"demo": demo, "params": {param: "x" * 100_000}})
    assert response.status_code == 400
    assert field_error(response) == (f"params.{param}", f"params.{param}: must be at most 100 characters, got 100000.")
    assert Run.objects.count() == 0 and no_broker == []


def test_a_string_parameter_at_the_cap_is_accepted(post_run, no_broker, settings):
    settings.SANDBOX_PARAM_MAX_CHARS = 100
    demo, param = _free_text_param()
    assert post_run({"demo": demo, "params": {param: "word " * 20}}).status_code == 202


def test_a_list_given_for_a_string_parameter_is_refused(post_run, no_broker):
    demo, param = _free_text_param()
    response = post_run({"demo": demo, "params": {param: [["x"] * 100] * 100}})
    assert response.status_code == 400
    assert field_error(response) == (f"params.{param}", f"params.{param}: must be text, got a list")


@pytest.mark.parametrize("where", ["code", "param"])
def test_nul_characters_are_refused_in_code_and_parameters(post_run, no_broker, where):
    demo, param = _free_text_param()
    body = {"code": "print(1)\x00"} if where == "code" else {"demo": demo, "params": {param: "a\x00b"}}
    response = post_run(body)
    assert response.status_code == 400
    field = "code" if where == "code" else f"params.{param}"
    assert field_error(response) == (field, f"{field}: must not contain NUL characters (\\0).")
    assert Run.objects.count() == 0
