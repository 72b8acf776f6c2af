"""The JSON API: shapes, filters, input errors that name the field, and no leaked answers."""
from __future__ import annotations

import json

import pytest
from django.urls import reverse

from questions.bank_loader import load_bank
from questions.models import Question

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded(bank, single_item, numeric_item):
    bank.add_topic("quantization", "Quantisation")
    bank.write("kv-basics", tags=["kv-cache"], difficulty="easy", quiz=[single_item, numeric_item], key_points=["K and V"])
    bank.write("kv-memory", tags=["kv-cache", "memory"], difficulty="hard", body="The cache grows with $L$ tokens.\n")
    bank.write("int8", topic="quantization", tags=["memory"], body="Int8 weights halve memory traffic.\n")
    assert load_bank(bank.root).ok


def test_topics_list_counts_active_questions(client, loaded):
    data = client.get(reverse("questions:api_topics")).json()
    assert [(t["slug"], t["question_count"]) for t in data["topics"]] == [("kv-cache", 2), ("quantization", 1)]
    assert data["topics"][0]["url"].endswith("/topics/kv-cache/")


def test_topic_detail_lists_its_questions(client, loaded):
    data = client.get(reverse("questions:api_topic", args=["kv-cache"])).json()
    assert [q["slug"] for q in data["questions"]] == ["kv-basics", "kv-memory"]
    assert client.get(reverse("questions:api_topic", args=["nope"])).status_code == 404


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"topic": "kv-cache"}, ["kv-basics", "kv-memory"]),
        ({"tag": "memory"}, ["kv-memory", "int8"]),
        ({"difficulty": "hard"}, ["kv-memory"]),
        ({"tag": "memory", "topic": "quantization"}, ["int8"]),
        ({"q": "memory"}, None),  # checked below: ranked search results
    ],
)
def test_question_list_filters(client, loaded, params, expected):
    data = client.get(reverse("questions:api_questions"), params).json()
    slugs = [q["slug"] for q in data["results"]]
    if expected is None:
        assert set(slugs) == {"kv-memory", "int8"}  # kv-memory only through its tag
        snippets = {q["slug"]: q["snippet_html"] for q in data["results"]}
        assert "<mark>memory</mark>" in snippets["int8"]
    else:
        assert slugs == expected and data["count"] == len(expected)


def test_question_list_paginates(client, loaded):
    data = client.get(reverse("questions:api_questions"), {"limit": 1, "offset": 1}).json()
    assert (data["count"], data["limit"], data["offset"], len(data["results"])) == (3, 1, 1, 1)


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"difficulty": "brutal"}, "difficulty", "must be one of easy, medium, hard, got 'brutal'"),
        ({"limit": "0"}, "limit", "must be between 1 and 200, got 0"),
        ({"limit": "ten"}, "limit", "must be a whole number between 1 and 200, got 'ten'"),
        ({"offset": "-1"}, "offset", "must be between 0 and 1000000, got -1"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_range(client, loaded, params, field, message):
    response = client.get(reverse("questions:api_questions"), params)
    assert response.status_code == 400
    assert response.json() == {"error": {"field": field, "message": message}}


def test_question_detail_has_rendered_html_and_hides_the_answers(client, loaded):
    response = client.get(reverse("questions:api_question", args=["kv-basics"]))
    data = response.json()
    assert data["answer_html"] == "<p><strong>Short answer.</strong> It stores K and V.</p>"
    assert data["key_points"] == ["K and V"] and data["tags"] == ["kv-cache"]
    single, numeric = data["quiz_items"]
    assert single["id"] == "what-is-v" and [set(c) for c in single["choices"]] == [{"id", "text_html"}] * 2
    assert numeric == {"id": "bytes-7b", "kind": "numeric", "prompt_html": numeric["prompt_html"], "unit": "bytes"}
    raw = json.dumps(data)
    for secret in ("is_correct", "correct", "524288", "V = x W_V", "why", "explanation", "tolerance"):
        assert secret not in raw


def test_retired_questions_are_not_served(client, loaded):
    from questions.models import Question

    Question.objects.filter(slug="int8").update(status=Question.Status.RETIRED)
    assert client.get(reverse("questions:api_question", args=["int8"])).status_code == 404
    assert client.get(reverse("questions:api_topics")).json()["topics"][1]["question_count"] == 0
