"""Full-text search: ranking (title > tags > body), highlighting, safety of the query and the snippet.

Every test here also runs on PostgreSQL in `make test`'s second pass (or:
bash .ci/with-postgres.sh .venv/bin/python -m pytest tests/questions/test_search.py).
"""
from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from questions.models import Question, Tag
from questions.search import MAX_QUERY_TERMS, parse, pg_document, query_terms, rebuild_index, search_questions
from questions.search.backends import SqliteFtsBackend, get_backend

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
    assert "<b>" not in hit.snippet_html and "&lt;b&gt;" in hit.snippet_html


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


def indexed_ids() -> set[int]:
    """The question ids the database's own search table holds (FTS5 rowids or PostgreSQL documents)."""
    backend = get_backend()
    column = "rowid" if isinstance(backend, SqliteFtsBackend) else "question_id"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {backend.table}")
        return {row[0] for row in cursor.fetchall()}


def test_rebuild_restores_a_lost_index(corpus):
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {get_backend().table}")
    assert slugs("paged") == []
    assert rebuild_index() == 4
    assert slugs("paged")[0] == "title-hit"
    assert indexed_ids() == set(Question.objects.values_list("pk", flat=True))


def test_edited_unpublished_and_deleted_questions_leave_the_index_right(corpus):
    question = Question.objects.get(slug="title-hit")
    question.title = "What does the block ledger hold?"
    question.answer_md = "It maps logical KV pages to physical ones."
    question.save()
    assert "title-hit" not in slugs("allocated")  # the old body is no longer indexed
    assert slugs("ledger") == ["title-hit"]
    # The index keeps an unpublished question (publishing it again needs no re-index); the published
    # filter is what hides it.
    question.status = Question.Status.DRAFT
    question.save()
    assert slugs("ledger") == [] and question.pk in indexed_ids()
    question.status = Question.Status.PUBLISHED
    question.save()
    assert slugs("ledger") == ["title-hit"]
    question.delete()
    assert slugs("ledger") == [] and question.pk not in indexed_ids()
    assert len(indexed_ids()) == 3


def test_a_renamed_or_deleted_tag_reindexes_its_questions(corpus):
    tag = Tag.objects.get(slug="paged-attention")
    tag.slug = "vllm-internals"
    tag.save()
    assert slugs("vllm internals") == ["tag-hit"]
    assert "tag-hit" not in slugs("paged attention")
    tag.delete()
    assert slugs("vllm internals") == []


def test_postgresql_reads_the_stored_document_through_its_gin_index(corpus):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's FTS5 table is its own index")
    matching = get_backend().matching(parse("paged attention"), Question.objects.all(), every_group=True)
    assert "to_tsvector" not in str(matching.query)  # no vector is built per row at query time
    with connection.cursor() as cursor:
        # Four rows: the planner would rightly read them all, so only the index lookups are left to it.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("EXPLAIN " + pg_document.MATCHING_IDS, ["paged <-> attention"])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert f"Bitmap Index Scan on {pg_document.TABLE}_gin" in plan, plan


@pytest.mark.django_db(transaction=True)
def test_the_postgresql_migration_indexes_the_questions_already_stored(make_question):
    if connection.vendor != "postgresql":
        pytest.skip("on SQLite the document migration does nothing (0003 made the FTS5 table)")
    make_question("stored", title="What does the block ledger hold?")
    executor = MigrationExecutor(connection)
    executor.migrate([("questions", "0009_authors_and_reviewers_groups")])
    assert pg_document.TABLE not in connection.introspection.table_names()
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert slugs("ledger") == ["stored"]


@pytest.fixture
def sampling(make_question):
    make_question("truncation", title="Top-k, top-p or min-p: how does each truncate?",
                  answer_md="Top-p keeps the smallest set of tokens whose probability passes p.", tags=("sampling",))
    make_question("routing", title="How does top-k routing pick experts?",
                  answer_md="The top of the router's list picks a path; parameters and performance follow.",
                  tags=("moe",))
    make_question("adaptive-cutoff", title="Why does nucleus sampling adapt to the distribution?",
                  answer_md="A flat distribution keeps many tokens, a peaked one few.")


def test_a_hyphenated_term_is_one_term_not_a_word_and_a_one_letter_prefix(sampling):
    # "top-p" used to be "top" AND any word starting with "p": the routing question matched first.
    assert "routing" not in slugs("top-p")
    assert slugs("top-p")[0] == "truncation"
    [hit] = [h for h in search_questions("top-p") if h.question.slug == "truncation"]
    assert "<mark>Top-p</mark>" in hit.snippet_html
    # No word is highlighted for starting with "p": not "probability", not "passes", not the lone "p".
    assert "<mark>probability" not in hit.snippet_html and "<mark>passes" not in hit.snippet_html
    assert hit.snippet_html.count("<mark>") == 1


def test_synonyms_the_field_uses_find_each_other(sampling, make_question):
    assert set(slugs("nucleus")) == {"truncation", "adaptive-cutoff"}
    assert set(slugs("top-p")) == {"truncation", "adaptive-cutoff"}
    make_question("kv-words", title="Where is the key-value cache kept?", answer_md="In HBM.")
    make_question("flash-words", title="What makes IO-aware attention fast?", answer_md="Tiling.")
    make_question("quant-words", title="Which quantisation keeps quality?", answer_md="Per-group scales.")
    make_question("gqa-words", title="How many KV heads does grouped-query attention keep?", answer_md="A few.")
    assert slugs("kv cache") == ["kv-words"]
    assert slugs("flash attention") == ["flash-words"]
    assert slugs("quantization") == ["quant-words"]
    assert slugs("GQA") == ["gqa-words"]
    [hit] = search_questions("quantization")
    assert hit.question.slug == "quant-words"


def test_an_exact_phrase_ranks_above_the_same_words_apart(make_question):
    make_question("apart", title="Which bandwidth limits memory reads?", answer_md="HBM bandwidth.")
    make_question("together", title="Why is decode limited by memory bandwidth?", answer_md="Weights are read.")
    assert slugs("memory bandwidth") == ["together", "apart"]


def test_formulas_in_snippets_are_rendered_never_a_placeholder(make_question):
    make_question("with-math", answer_md="The cache holds $2 L H d$ numbers per token, so the cache grows linearly.")
    [hit] = search_questions("cache")
    assert "[formula]" not in hit.snippet_html and "\ue002" not in hit.snippet_html
    assert "<math" in hit.snippet_html and "<mi>L</mi>" in hit.snippet_html
    assert hit.snippet_html.count("<mark>cache</mark>") == 2
    assert slugs("formula") == []  # the old placeholder was indexed as a word


def test_queries_of_only_common_words_or_punctuation_are_not_searched(corpus):
    assert not parse("what is it") and parse("what is it").only_stop_words
    assert not parse("?!- ** ...") and not parse("?!- ** ...").only_stop_words
    assert search_questions("what is it") == [] and search_questions("?!- ** ...") == []
    long = parse("paged attention " * 100)  # one synonym group per repetition
    assert len(long.groups) == MAX_QUERY_TERMS and long.dropped == 100 - MAX_QUERY_TERMS
    assert slugs("paged attention " * 1000)[0] == "title-hit"  # only the start of a huge query is read


def test_a_snippet_starts_a_few_words_before_its_match(make_question):
    filler = " ".join(f"word{n}" for n in range(60))
    make_question("late-hit", answer_md=f"{filler} so the paged allocator wins. {filler}")
    [hit] = search_questions("allocator")
    # Six words lead up to the match: it reads in its sentence, not at either edge of the snippet.
    assert hit.snippet_html.startswith("… word57 word58 word59 so the paged <mark>allocator</mark> wins.")
    assert hit.snippet_html.endswith(" …")
