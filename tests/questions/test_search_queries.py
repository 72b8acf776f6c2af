"""Real learner queries on the real bank: each must find its question among the first three (or first).

The queries live in search_queries.yaml (query → the slug a learner was looking for). One test, so
the bank is loaded once; it reports every miss at once, with what came first instead. It runs in
``make test``'s PostgreSQL pass too (tests/questions is a database suite), so both databases must
agree — the ranking itself is computed in Python (questions/search/rank.py) from the same matches.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from questions.bank_loader import DEFAULT_BANK_DIR, load_bank
from questions.models import Question
from questions.search import search_questions

QUERIES = yaml.safe_load((Path(__file__).parent / "search_queries.yaml").read_text(encoding="utf-8"))
TOP = 3


@pytest.fixture
def real_bank(db: None) -> None:
    report = load_bank(DEFAULT_BANK_DIR)
    assert report.ok, report.errors


def test_every_learner_query_finds_its_question_in_the_top_three(real_bank: None) -> None:
    known = set(Question.objects.values_list("slug", flat=True))
    assert {case["expect"] for case in QUERIES} <= known, "search_queries.yaml names a slug the bank does not have"
    misses = []
    for case in QUERIES:
        top = [hit.question.slug for hit in search_questions(case["query"], limit=TOP)]
        within = case.get("top", TOP)
        if case["expect"] not in top[:within]:
            misses.append(f"{case['query']!r}: wanted {case['expect']} in the first {within}, got {top}")
    assert not misses, f"{len(misses)} of {len(QUERIES)} queries missed:\n" + "\n".join(misses)
