"""Full-text search: ranking (title > tags > body), highlighting, safety of the query and the snippet."""
from __future__ import annotations

import pytest
from django.db import connection

from questions.models import Question
from questions.search import query_terms, rebuild_index, search_questions

pytestmark = pytest.mark.django_db


@pytest.fixture
def corpus(make_question):
    make_question("body-hit", title="How is memory planned?", answer_md="The *paged* attention allocator splits the cache into blocks.")
    make_question("title-hit", title="What is paged attention?", answer_md="Blocks of KV memory, allocated on demand.")
    make_question("tag-hit", title="Serving many users", answer_md="Batching requests together.", tags=("paged-attention",))
    make_question("unrelated", title="What is top-p sampling?", answer_md="Nucleus sampling keeps the smallest set.")


def slugs(query: str) -> list[str]:
    return [hit.question.slug for hit in search_questions(query)]


def test_title_matches_rank_above_tag_matches_above_body_matches(corpus):
    assert slugs("paged attention") == ["title-hit", "tag-hit", "body-hit"]


def test_matches_are_highlighted_in_an_escaped_snippet(make_question):
    make_question("escaped", answer_md="Use `a <b> c` when the cache is full.")
    [hit] = search_questions("cache")
    assert "<mark>cache</mark>" in hit.snippet_html
    assert "<b>" not in hit.snippet_html
    if connection.vendor == "sqlite":  # PostgreSQL's ts_headline drops tag-like text instead of escaping it
        assert "&lt;b&gt;" in hit.snippet_html


def test_snippets_are_cut_from_prose_never_from_code_blocks_or_formulas(make_question):
    make_question(
        "with-code",
        answer_md=(
            "A KV cache keeps keys and values so decoding skips recomputing them.\n\n"
            "```python\ncache = torch.zeros(layers, 2, heads, max_len, head_dim)  # the cache tensor\n```\n\n"
            "$$\nM = 2 L H d\n$$\n\n"
            "The cache grows with every generated token."
        ),
    )
    [hit] = search_questions("cache")
    assert "<mark>cache</mark>" in hit.snippet_html
    assert "torch" not in hit.snippet_html and "head_dim" not in hit.snippet_html and "```" not in hit.snippet_html
    # The prose around the hits is what is shown (how much of it is the backend's choice: PostgreSQL's
    # ts_headline ends its fragment at the last hit, SQLite's snippet() centres a window on one).
    assert "keeps keys and values" in hit.snippet_html
    assert search_questions("zeros") == []  # words that only appear in code are not indexed as prose


def test_stemming_and_prefixes_match(corpus):
    assert "body-hit" in slugs("allocators")  # porter stemmer: allocator(s)
    assert slugs("samp") == ["unrelated"]  # the last word is a prefix, for search-as-you-type


def test_all_words_must_match_before_falling_back_to_any(corpus):
    assert slugs("nucleus smallest") == ["unrelated"]
    assert set(slugs("nucleus splits")) == {"unrelated", "body-hit"}  # no page has both: any-word results


def test_fts_operators_and_punctuation_are_treated_as_words(corpus):
    assert query_terms('paged NOT "attention" OR (x*') == ["paged", "not", "attention", "or", "x"]
    search_questions('NEAR( "paged" ) AND -- ;')  # must not raise a syntax error
    assert search_questions("   ") == []


def test_retired_questions_are_not_found(corpus):
    Question.objects.filter(slug="title-hit").update(status=Question.Status.RETIRED)
    assert "title-hit" not in slugs("paged attention")


def test_edits_and_retagging_reindex_through_signals(corpus):
    question = Question.objects.get(slug="unrelated")
    question.answer_md = "Now it talks about speculative decoding."
    question.save()
    assert slugs("speculative") == ["unrelated"]
    question.tags.create(slug="drafting")
    assert slugs("drafting") == ["unrelated"]
    question.delete()
    assert slugs("speculative") == []


def test_rebuild_restores_a_lost_index(corpus):
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL searches the columns directly; there is no index table to lose")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM questions_search_fts")
    assert slugs("paged") == []
    assert rebuild_index() == 4
    assert slugs("paged")[0] == "title-hit"
