"""Content checks for the question bank (questions/bank/**/*.md).

These tests read the Markdown files directly with PyYAML instead of going through the
site's loader, so that a broken loader and a broken bank file fail in different places:
here we check what the *content* promises (schema, quiz rules, seed coverage, demo names,
runnable code), not how the site stores it.

Every ```python run``` block is executed in its own subprocess, because the site offers a
Run button for each one: a block that crashes here would crash in front of a user.
"""
from __future__ import annotations

import math
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from questions.kinds import authored_names

REPO = Path(__file__).resolve().parents[2]
BANK = REPO / "questions" / "bank"

REQUIRED_KEYS = ("slug", "title", "topic", "difficulty")
DIFFICULTIES = {"easy", "medium", "hard"}
# The one list of kinds (the registry), so a new kind is accepted here the moment the site knows it.
QUIZ_KINDS = set(authored_names())
TOLERANCE_MODES = {"relative", "absolute"}
COVERS = re.compile(r"^(\d{3})#(\d+)$")

# The engine registry's demo names a question may link (some demos are still being written).
KNOWN_DEMOS = {
    "kv_cache_vs_recompute", "kv_cache_memory", "mha_gqa_mqa", "sampling_strategies",
    "prefill_vs_decode", "sliding_window_cache", "causal_mask", "attention_scaling",
    "attention_backends", "paged_vs_contiguous", "prefix_sharing", "continuous_batching",
    "batch_size_tradeoff", "speculative_decoding", "quantization_int8", "moe_load_balance",
    "beam_search", "sampling_distribution", "batch_invariance", "structured_decoding",
    "tensor_parallel",
}

# Items per seed document (file prefix -> number of numbered items, 1-based, in file order).
SEED_ITEMS = {"000": 6, "001": 9, "002": 30, "003": 20, "004": 12}

MIN_QUESTIONS = 180
# Issue 12: each topic page must have enough material to practise on.
MIN_QUESTIONS_PER_TOPIC = 8
MIN_QUIZ_ITEMS = 60
RUN_TIMEOUT_S = 60
# The project's virtualenv when there is one (what the site's sandbox runs), else this interpreter.
PYTHON = str(REPO / ".venv" / "bin" / "python") if (REPO / ".venv" / "bin" / "python").exists() else sys.executable

FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n(.*)\Z", re.DOTALL)
RUN_BLOCK = re.compile(r"^```python run[ \t]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)


@dataclass(frozen=True)
class BankFile:
    path: Path
    meta: dict
    body: str

    @property
    def name(self) -> str:
        return str(self.path.relative_to(BANK))


def question_paths() -> list[Path]:
    """Question files live one folder down (<topic>/<slug>.md); README/CORRECTIONS sit at the top.

    ``exercises/`` is not a topic: its folders are exercises, checked by tests/exercises.
    """
    return sorted(p for p in BANK.glob("*/*.md") if p.parent.name != "exercises")


class BankFileError(ValueError):
    """A bank file that cannot be read as front matter + body (reported per file, not at import)."""


def parse(path: Path) -> BankFile:
    name = path.relative_to(BANK)
    text = path.read_text(encoding="utf-8")
    match = FRONT_MATTER.match(text)
    if not match:
        raise BankFileError(f"{name}: no YAML front matter between '---' lines")
    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError as error:
        raise BankFileError(f"{name}: front matter is not valid YAML: {error}") from None
    if not isinstance(meta, dict):
        raise BankFileError(f"{name}: front matter is not a mapping")
    return BankFile(path, meta, match.group(2))


def parse_all() -> tuple[list[BankFile], dict[str, str]]:
    """Parse every file once; a broken file becomes one failing test instead of a collection error."""
    parsed, errors = [], {}
    for path in question_paths():
        try:
            parsed.append(parse(path))
        except BankFileError as error:
            errors[str(path.relative_to(BANK))] = str(error)
    return parsed, errors


# Parsed once at import: parametrisation needs the list of run blocks at collection time.
BANK_FILES, PARSE_ERRORS = parse_all()
TOPICS = [t["slug"] for t in yaml.safe_load((BANK / "topics.yaml").read_text(encoding="utf-8"))]


def run_blocks() -> list[tuple[str, str]]:
    blocks = []
    for bank_file in BANK_FILES:
        for index, code in enumerate(RUN_BLOCK.findall(bank_file.body), start=1):
            blocks.append((f"{bank_file.name}:{index}", code))
    return blocks


RUN_BLOCKS = run_blocks()


def quiz_items() -> list[tuple[BankFile, dict]]:
    return [(f, item) for f in BANK_FILES for item in (f.meta.get("quiz") or [])]


# --- Schema ------------------------------------------------------------------------------

@pytest.mark.parametrize("path", [str(p.relative_to(BANK)) for p in question_paths()])
def test_file_parses(path: str) -> None:
    assert path not in PARSE_ERRORS, PARSE_ERRORS.get(path)


@pytest.mark.parametrize("bank_file", BANK_FILES, ids=lambda f: f.name)
def test_front_matter_has_required_keys_and_valid_values(bank_file: BankFile) -> None:
    meta = bank_file.meta
    missing = [key for key in REQUIRED_KEYS if not meta.get(key)]
    assert not missing, f"{bank_file.name}: missing required keys {missing}"
    assert meta["difficulty"] in DIFFICULTIES, f"{bank_file.name}: difficulty must be one of {sorted(DIFFICULTIES)}"
    assert meta["topic"] in TOPICS, f"{bank_file.name}: topic {meta['topic']!r} is not in topics.yaml"
    assert meta["topic"] == bank_file.path.parent.name, f"{bank_file.name}: topic must match its folder"
    assert meta["slug"] == bank_file.path.stem, f"{bank_file.name}: slug must match the file name"
    assert bank_file.body.strip(), f"{bank_file.name}: body is empty"
    for entry in meta.get("covers") or []:
        assert COVERS.match(str(entry)), f"{bank_file.name}: covers entry {entry!r} must look like NNN#k"


@pytest.mark.parametrize("bank_file", BANK_FILES, ids=lambda f: f.name)
def test_answer_has_rubric_and_the_agreed_shape(bank_file: BankFile) -> None:
    """The writers' contract: short answer first, an explanation section, a 3-6 point rubric."""
    meta = bank_file.meta
    assert bank_file.body.lstrip().startswith("**Short answer.**"), f"{bank_file.name}: body must start with **Short answer.**"
    assert "## Explanation" in bank_file.body, f"{bank_file.name}: body needs an '## Explanation' section"
    assert 3 <= len(meta.get("key_points") or []) <= 6, f"{bank_file.name}: key_points must have 3 to 6 entries"
    assert meta.get("common_mistakes"), f"{bank_file.name}: common_mistakes is empty"
    assert 2 <= len(meta.get("follow_ups") or []) <= 4, f"{bank_file.name}: follow_ups must have 2 to 4 entries"
    for tag in meta.get("tags") or []:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", str(tag)), f"{bank_file.name}: tag {tag!r} must be a lowercase slug"


def test_slugs_are_unique() -> None:
    seen: dict[str, str] = {}
    for bank_file in BANK_FILES:
        slug = bank_file.meta.get("slug")
        assert slug not in seen, f"slug {slug!r} is used by both {seen[slug]} and {bank_file.name}"
        seen[slug] = bank_file.name


def formulas_in(body: str) -> list[str]:
    """Display ($$…$$) and inline ($…$) formulas outside code, as the site's renderer finds them."""
    prose = re.sub(r"`[^`\n]*`", "", re.sub(r"```.*?```", "", body, flags=re.DOTALL))
    display = re.findall(r"\$\$(.+?)\$\$", prose, flags=re.DOTALL)
    prose = re.sub(r"\$\$(.+?)\$\$", "", prose, flags=re.DOTALL)
    inline = re.findall(r"(?<![\\$\w])\$(?!\s)([^$\n]+?)(?<!\s)\$(?![\w$])", prose)
    return display + inline


@pytest.mark.parametrize("bank_file", BANK_FILES, ids=lambda f: f.name)
def test_formulas_convert_to_mathml(bank_file: BankFile) -> None:
    """A formula latex2mathml cannot parse is shown to readers as raw code, so catch it here."""
    import latex2mathml.converter

    for tex in formulas_in(bank_file.body):
        try:
            latex2mathml.converter.convert(tex.strip())
        except Exception as error:  # the converter raises many unrelated types for bad input
            pytest.fail(f"{bank_file.name}: cannot render formula {tex!r}: {type(error).__name__}: {error}")


def display_math_sharing_a_paragraph(body: str) -> list[str]:
    """$$…$$ blocks that have prose on the line just before or after them.

    The renderer only turns a paragraph that is *nothing but* $$…$$ into display math; glued to a
    sentence, it is left as raw LaTeX text in the page.
    """
    prose = re.sub(r"```.*?```", "", body, flags=re.DOTALL)
    offenders = []
    for match in re.finditer(r"\$\$(.+?)\$\$", prose, flags=re.DOTALL):
        lines_before = prose[: match.start()].split("\n")
        line_before = lines_before[-1]
        previous = lines_before[-2] if len(lines_before) >= 2 else ""
        rest = prose[match.end():].split("\n")
        following = rest[1] if len(rest) >= 2 else ""
        glued_before = line_before.strip() != "" or (previous.strip() != "" and not previous.lstrip().startswith("#"))
        glued_after = rest[0].strip() != "" or following.strip() != ""
        if glued_before or glued_after:
            offenders.append(match.group(0)[:60])
    return offenders


@pytest.mark.parametrize("bank_file", BANK_FILES, ids=lambda f: f.name)
def test_display_math_is_its_own_paragraph(bank_file: BankFile) -> None:
    offenders = display_math_sharing_a_paragraph(bank_file.body)
    assert not offenders, f"{bank_file.name}: put a blank line before and after display math: {offenders}"


def test_display_math_check_accepts_a_heading_and_rejects_glued_prose() -> None:
    assert display_math_sharing_a_paragraph("## Explanation\n$$a$$\n\nText.") == []
    assert display_math_sharing_a_paragraph("Text:\n$$a$$\nmore") == ["$$a$$"]


def test_formulas_in_finds_display_and_inline_math_but_not_code() -> None:
    body = "Cost is $O(n^2)$.\n\n$$a = b$$\n\n`$not math$` and a price of $5."
    assert formulas_in(body) == ["a = b", "O(n^2)"]


@pytest.mark.parametrize("bank_file", BANK_FILES, ids=lambda f: f.name)
def test_demo_names_exist(bank_file: BankFile) -> None:
    unknown = set(bank_file.meta.get("demos") or []) - KNOWN_DEMOS
    assert not unknown, f"{bank_file.name}: unknown demo names {sorted(unknown)}"


# --- Quiz items --------------------------------------------------------------------------

def check_choice_item(where: str, item: dict) -> None:
    options = item.get("options") or []
    assert len(options) >= 2, f"{where}: a choice item needs at least two options"
    for position, option in enumerate(options, start=1):
        assert option.get("text") not in (None, ""), f"{where}: option {position} has no text"
        assert option.get("why"), f"{where}: option {position} needs a 'why' line"
    correct = sum(1 for option in options if option.get("correct") is True)
    if item["kind"] == "single":
        assert correct == 1, f"{where}: a single item needs exactly one correct option, has {correct}"
    else:
        assert correct >= 1, f"{where}: a multiple item needs at least one correct option"


def check_numeric_item(where: str, item: dict) -> None:
    answer, tolerance = item.get("answer"), item.get("tolerance")
    assert isinstance(answer, (int, float)) and not isinstance(answer, bool) and math.isfinite(answer), (
        f"{where}: numeric answer must be a finite number, got {answer!r}")
    assert isinstance(tolerance, (int, float)) and tolerance > 0, f"{where}: tolerance must be a positive number"
    mode = item.get("tolerance_mode", "relative")
    assert mode in TOLERANCE_MODES, f"{where}: tolerance_mode must be one of {sorted(TOLERANCE_MODES)}"
    if mode == "relative":
        # A relative tolerance is a fraction of the answer; 5 would accept anything from -4x to 6x.
        assert tolerance < 1, f"{where}: a relative tolerance is a fraction (e.g. 0.02), got {tolerance}"
    assert item.get("unit"), f"{where}: numeric items need a unit"
    assert item.get("explanation"), f"{where}: numeric items need the formula in 'explanation'"


@pytest.mark.parametrize("bank_file", [f for f in BANK_FILES if f.meta.get("quiz")], ids=lambda f: f.name)
def test_quiz_items_follow_the_rules(bank_file: BankFile) -> None:
    ids = [item.get("id") for item in bank_file.meta["quiz"]]
    assert all(ids), f"{bank_file.name}: every quiz item needs an id"
    assert len(ids) == len(set(ids)), f"{bank_file.name}: quiz ids must be unique within the question"
    for item in bank_file.meta["quiz"]:
        where = f"{bank_file.name} quiz {item['id']!r}"
        assert item.get("kind") in QUIZ_KINDS, f"{where}: kind must be one of {sorted(QUIZ_KINDS)}"
        assert item.get("prompt"), f"{where}: prompt is empty"
        if item["kind"] == "numeric":
            check_numeric_item(where, item)
        else:
            check_choice_item(where, item)


def test_check_choice_item_rejects_two_correct_answers_in_a_single_item() -> None:
    """The checker itself must be able to fail, or the rule tests above prove nothing."""
    bad = {"kind": "single", "options": [{"text": "a", "correct": True, "why": "x"}, {"text": "b", "correct": True, "why": "y"}]}
    with pytest.raises(AssertionError, match="exactly one correct"):
        check_choice_item("example", bad)


def test_check_numeric_item_rejects_zero_tolerance() -> None:
    with pytest.raises(AssertionError, match="tolerance"):
        check_numeric_item("example", {"answer": 1.0, "tolerance": 0, "unit": "B", "explanation": "e"})


# --- Bank-wide targets -------------------------------------------------------------------

def test_bank_has_enough_questions() -> None:
    count = len(BANK_FILES)
    assert count >= MIN_QUESTIONS, f"bank has {count} questions; target is {MIN_QUESTIONS}"


def test_every_topic_has_enough_questions() -> None:
    counts = {slug: 0 for slug in TOPICS}
    for bank_file in BANK_FILES:
        if bank_file.meta.get("topic") in counts:
            counts[bank_file.meta["topic"]] += 1
    thin = {slug: n for slug, n in counts.items() if n < MIN_QUESTIONS_PER_TOPIC}
    assert not thin, f"topics with fewer than {MIN_QUESTIONS_PER_TOPIC} questions: {thin}"


def test_bank_has_enough_quiz_items() -> None:
    count = len(quiz_items())
    assert count >= MIN_QUIZ_ITEMS, f"bank has {count} quiz items; target is {MIN_QUIZ_ITEMS}"


def covered_seed_items() -> set[tuple[str, int]]:
    covered = set()
    for bank_file in BANK_FILES:
        for entry in bank_file.meta.get("covers") or []:
            match = COVERS.match(str(entry))
            if match:
                covered.add((match.group(1), int(match.group(2))))
    return covered


def test_every_seed_item_is_covered() -> None:
    expected = {(prefix, k) for prefix, count in SEED_ITEMS.items() for k in range(1, count + 1)}
    missing = sorted(expected - covered_seed_items())
    assert not missing, "seed items with no question: " + ", ".join(f"{p}#{k}" for p, k in missing)


def test_covers_point_at_real_seed_items() -> None:
    """A typo such as 002#31 would otherwise count as coverage of nothing."""
    for prefix, k in covered_seed_items():
        assert prefix in SEED_ITEMS and 1 <= k <= SEED_ITEMS[prefix], f"covers entry {prefix}#{k} is not a seed item"


# --- Numeric answers agree with the engine's formulas -----------------------------------

def formula_answers() -> dict[tuple[str, str], float]:
    """(question slug, quiz id) -> the value engine.formulas gives; the bank must agree with the grader's formulas."""
    from engine.formulas import (
        PRESETS, arithmetic_intensity_decode, bandwidth_bound_tokens_per_s, decode_flops_per_token,
        kv_cache_bytes, kv_cache_bytes_per_token, param_count, weight_bytes,
    )
    llama2 = PRESETS["llama2-7b"]
    return {
        ("kv-cache-what-is-stored", "bytes-per-token-7b"): kv_cache_bytes_per_token("llama2-7b"),
        ("kv-cache-decode-complexity", "decode-flops-7b-4k"): decode_flops_per_token("llama2-7b", 4096),
        ("kv-cache-long-sequence-challenges", "cache-32k-7b"): kv_cache_bytes("llama2-7b", 32768) / 2**30,
        ("kv-cache-memory-cost", "sequences-that-fit"): (80e9 - weight_bytes("llama2-7b")) // kv_cache_bytes("llama2-7b", 4096),
        ("kv-cache-size-formula", "cache-70b-4k"): kv_cache_bytes("llama2-70b", 4096),
        ("kv-cache-size-formula", "cache-7b-2k-batch8"): kv_cache_bytes("llama2-7b", 2048, batch=8) / 2**30,
        ("kv-cache-heads-scaling", "mistral-per-token"): kv_cache_bytes_per_token("mistral-7b"),
        ("gpt2-gpt3-architecture", "gpt2-small-params"): param_count("gpt2"),
        ("prefill-vs-decode", "prefill-flops"): 2 * param_count("llama2-7b") * 2000,
        ("decode-memory-bound", "gemv-intensity"): arithmetic_intensity_decode("llama2-7b"),
        ("bandwidth-bound-decode-speed", "tokens-per-s-7b"): bandwidth_bound_tokens_per_s("llama2-7b", 3.35e12),
        ("bandwidth-bound-decode-speed", "tokens-per-s-int4"): bandwidth_bound_tokens_per_s("llama2-7b", 3.35e12, dtype="int4"),
        ("prefix-caching", "shared-memory"): 99 * 2000 * kv_cache_bytes_per_token("mistral-7b") / 1e9,
        ("vocabulary-size-tradeoffs", "llama2-embed-params"): 2 * llama2.vocab_size * llama2.d_model,
        ("capacity-planning", "kv-for-service"): 20 * 30 * 1250 * kv_cache_bytes_per_token("mistral-7b") / 1e9,
        ("benchmarking-decode", "prefill-mfu"): 2 * param_count("llama2-7b") * 2000 / 0.060 / 990e12,
    }


def within_tolerance(item: dict, expected: float) -> bool:
    if item.get("tolerance_mode", "relative") == "relative":
        return abs(item["answer"] - expected) <= item["tolerance"] * abs(expected)
    return abs(item["answer"] - expected) <= item["tolerance"]


def test_within_tolerance_distinguishes_relative_and_absolute() -> None:
    assert within_tolerance({"answer": 101, "tolerance": 0.02}, 100)
    assert not within_tolerance({"answer": 103, "tolerance": 0.02}, 100)
    assert not within_tolerance({"answer": 101, "tolerance": 0.5, "tolerance_mode": "absolute"}, 100)


@pytest.mark.parametrize("key", list(formula_answers()), ids=lambda key: f"{key[0]}:{key[1]}")
def test_numeric_answer_matches_engine_formula(key: tuple[str, str]) -> None:
    slug, quiz_id = key
    items = {f.meta.get("slug"): {i.get("id"): i for i in f.meta.get("quiz") or []} for f in BANK_FILES}
    assert slug in items and quiz_id in items[slug], f"quiz item {slug}:{quiz_id} is gone; update formula_answers()"
    expected = formula_answers()[key]
    item = items[slug][quiz_id]
    assert within_tolerance(item, expected), f"{slug}:{quiz_id} answers {item['answer']}, engine.formulas gives {expected}"


# --- Runnable code -----------------------------------------------------------------------

@pytest.mark.parametrize("code", [code for _, code in RUN_BLOCKS], ids=[block_id for block_id, _ in RUN_BLOCKS])
def test_python_run_block_executes(code: str) -> None:
    result = subprocess.run(
        [PYTHON, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=RUN_TIMEOUT_S,
    )
    assert result.returncode == 0, f"exit code {result.returncode}\n--- stderr ---\n{result.stderr[-3000:]}"
    assert result.stdout.strip(), "a runnable block should print something the reader can look at"
