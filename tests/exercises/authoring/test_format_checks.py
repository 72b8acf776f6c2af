"""A save with format problems is refused at once, each problem beside its field and in the summary;
nothing is stored and nothing is queued."""
from __future__ import annotations

from dataclasses import replace

import pytest

from questions.exercises.authoring.drafts import WrongDraft, place
from questions.exercises.models import ExerciseRevision
from sandbox.jobs.models import Run

from .helpers import edit_post

pytestmark = pytest.mark.django_db


class TestFormatErrorsAreRefusedWithTheFieldNamed:
    def test_catalogue_problems_land_on_their_fields(self, admin_client, add_one, live, no_broker):
        draft = replace(live, signature="plus_one(x)", practises=["no-such-question"])
        response = edit_post(admin_client, add_one, draft)
        assert response.status_code == 200
        form = response.context["form"]
        assert form.errors["signature"] == ["Must start with 'add_one(' (the function's name), got 'plus_one(x)'."]
        assert form.errors["practises"] == ["Item 1: 'no-such-question' is not the slug of a question in the bank."]
        summary = response.context["error_summary"]
        assert "Signature: Must start with 'add_one(' (the function's name), got 'plus_one(x)'." in summary
        assert ExerciseRevision.objects.count() == 0 and Run.objects.count() == 0 and no_broker == []

    def test_a_wrong_solution_that_does_not_parse_is_named_on_its_row(self, admin_client, add_one, live, no_broker):
        broken = WrongDraft("subtracts", "Subtracts one.", ["one-two-three"], "def add_one(x):\n    return x -\n")
        response = edit_post(admin_client, add_one, replace(live, wrong=[broken, live.wrong[1]]))
        row = response.context["formset"].forms[0]
        assert row.errors["source"] == ["Line 2: is not valid Python (invalid syntax)."]
        assert "Wrong solution 1 — Source: Line 2: is not valid Python (invalid syntax)." in response.context["error_summary"]
        assert ExerciseRevision.objects.count() == 0

    def test_fewer_than_two_wrong_solutions_is_a_sentence_about_the_rows(self, admin_client, add_one, live):
        response = edit_post(admin_client, add_one, replace(live, wrong=live.wrong[:1]), initial_rows=1)
        assert response.context["formset"].non_form_errors() == [
            "Wrong solutions: Must list at least 2 wrong solutions, each with file, mistake and fails."]
        assert ExerciseRevision.objects.count() == 0

    def test_a_form_error_needs_no_catalogue(self, admin_client, add_one, live):
        response = edit_post(admin_client, add_one, live, **{"wrong-0-name": "Bad Name"})
        assert response.context["formset"].forms[0].errors["name"] == [
            "Name: use lowercase letters, digits and underscores, starting with a letter."]

    def test_saving_what_is_live_changes_nothing(self, admin_client, add_one, live, no_broker):
        response = edit_post(admin_client, add_one, live)
        assert response.status_code == 302 and ExerciseRevision.objects.count() == 0 and no_broker == []


def test_a_problem_without_a_field_goes_to_the_top_of_the_form(live) -> None:
    placed = place("exercise.md: front matter: mapping values are not allowed here", live)
    assert (placed.field, placed.message) == (None, "Mapping values are not allowed here.")
    cases = place("cases.py:3: source: is not valid Python (invalid syntax)", live)
    assert (cases.field, cases.message) == ("cases", "Line 3: is not valid Python (invalid syntax).")
