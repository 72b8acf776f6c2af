"""Numeric quiz answers of bank part 2 (writer "bank-a"), recomputed from first principles.

Each entry maps (question slug, quiz id) to the value worked out here from the model configs,
formulas or definitions the question states, independently of the number written in the bank file.
A typo in an answer, or an edit that changes a prompt's inputs without its answer, fails here.
"""
from __future__ import annotations

import math

import pytest

# tests/bank is on sys.path under pytest's default import mode; reuse the content test's parser
# and tolerance rule instead of keeping a second copy of either.
from test_bank_content import BANK_FILES, within_tolerance


def softmax(logits: list[float], temperature: float = 1.0) -> list[float]:
    scaled = [z / temperature for z in logits]
    top = max(scaled)
    exps = [math.exp(z - top) for z in scaled]
    total = sum(exps)
    return [e / total for e in exps]


def entropy_bits(probs: list[float]) -> float:
    return -sum(p * math.log2(p) for p in probs if p > 0)


def nucleus_size(probs: list[float], top_p: float) -> int:
    """Smallest prefix of the sorted distribution whose mass reaches top_p."""
    total = 0.0
    for count, p in enumerate(sorted(probs, reverse=True), start=1):
        total += p
        if total >= top_p - 1e-12:
            return count
    return len(probs)


def encoder_forward_flops(tokens: int, d_model: int, layers: int) -> float:
    """Weight matmuls (4d^2 attention + 8d^2 MLP per layer, 2 FLOPs per multiply-add) plus QK^T and PV."""
    return 2 * 12 * d_model**2 * layers * tokens + 4 * tokens**2 * d_model * layers


def kv_bytes(layers: int, kv_heads: int, head_dim: int, tokens: int, bytes_per_elem: int = 2) -> int:
    """K and V for every layer, KV head and token."""
    return 2 * layers * kv_heads * head_dim * tokens * bytes_per_elem


def window_tiles(tokens: int, block: int, window: int) -> int:
    """Tiles with at least one (query, key) pair where query - window < key <= query, by brute force."""
    count = 0
    for qb in range(tokens // block):
        for kb in range(tokens // block):
            count += any(max(kb * block, q - window + 1) <= min(kb * block + block - 1, q)
                         for q in range(qb * block, qb * block + block))
    return count


SORTED_EXAMPLE = [0.40, 0.25, 0.15, 0.10, 0.05, 0.03, 0.02]


def expected_answers() -> dict[tuple[str, str], float]:
    return {
        # model-families
        ("bert-bidirectional-attention", "embed-throughput"): 0.4 * 312e12 / encoder_forward_flops(512, 768, 12),
        ("bert-pretraining-and-fine-tuning", "mask-token-fraction"): 0.15 * 0.8,
        ("reasoning-model-inference-costs", "reasoning-latency"): 0.5 + (8_000 + 500 - 1) * 0.020,
        ("reasoning-model-inference-costs", "traces-that-fit"): (60 * 2**30) // kv_bytes(32, 8, 128, 32_768),
        ("ssm-hybrid-inference", "state-vs-kv-tokens"): (2 * 4096 * 16 * 4) / kv_bytes(1, 8, 128, 1),
        ("encoder-decoder-serving", "whisper-cross-kv"): kv_bytes(32, 1, 1280, 1500),
        ("multimodal-llm-inference", "llava-tokens"): (336 // 14) ** 2,
        ("multimodal-llm-inference", "qwen2vl-kv"): kv_bytes(28, 4, 128, (1344 // 28) ** 2) / 1e6,
        # decoding-and-sampling
        ("temperature-scaling-math", "odds-ratio"): math.exp(1.5 / 0.7),
        ("temperature-scaling-math", "top-prob-t05"): softmax([3.0, 2.0, 1.0, 0.0], 0.5)[0],
        ("top-k-top-p-min-p", "nucleus-count"): nucleus_size(SORTED_EXAMPLE, 0.85),
        ("top-k-top-p-min-p", "min-p-count"): sum(p >= 0.3 * max(SORTED_EXAMPLE) for p in SORTED_EXAMPLE),
        ("logits-processor-order", "temp-before-top-p"): nucleus_size(softmax([2.0, 1.0, 0.5, 0.0], 0.5), 0.8),
        ("greedy-determinism-batch-invariance", "bf16-spacing"): 2.0 ** (math.floor(math.log2(16)) - 7),
        ("beam-search-length-normalization", "normalised-score"): -6.3 / 9,
        ("logprobs-and-their-uses", "perplexity"): math.exp(-sum([-0.2, -1.5, -0.4, -0.9]) / 4),
        ("logprobs-and-their-uses", "prompt-logprob-memory"): 8192 * 128_256 * 4 / 1e9,
        ("structured-decoding-json-schema", "bitmask-bytes"): math.ceil(128_256 / 32) * 4,
        ("constrained-decoding-token-boundaries", "conditional-vs-masked"): (0.6 * 0.1) / (0.6 * 0.1 + 0.4 * 0.9),
        ("batched-sampling-kernels", "logits-bytes"): 256 * 128_256 * 4 / 1e6,
        ("parallel-sampling-best-of-n", "kv-saving"): 8 * (2_000 + 500) / (2_000 + 8 * 500),
        # attention-variants (DeepSeek-V2/V3 MLA: latent 512, decoupled RoPE key 64, 128 heads of 128)
        ("mla-latent-kv-cache", "v3-bytes-per-token"): 61 * (512 + 64) * 2,
        ("mla-latent-kv-cache", "vs-mha"): (2 * 128 * 128) / (512 + 64),
        ("mla-decoupled-rope", "per-head-rope-cost"): 512 + 128 * 64,
        ("mla-weight-absorption", "mla-decode-intensity"): 128 * 2 * ((512 + 64) + 512) / ((512 + 64) * 2),
        ("mla-serving-parallelism", "dp-capacity"): 8 * 4e10 / (61 * (512 + 64) * 2),
        ("gqa-tensor-parallelism", "per-gpu-cache-tp16"): kv_bytes(126, max(1, 8 // 16), 128, 1),
        ("gqa-kernel-kv-reuse", "spec-intensity"): (8 * 5 * 4 * 128) / (2 * 128 * 2),
        ("gqa-uptraining", "params-saved"): 2 * 4096 * (32 - 8) * 128 * 32,
        ("choosing-kv-head-count", "sequences-fit"): 40e9 // kv_bytes(80, max(1, 8 // 8), 128, 8192),
        ("kv-reduction-variants-compared", "local-global-fraction"): 1 / 6 + (5 / 6) * 1024 / 131_072,
        # efficient-attention
        ("flash-attention-2", "nonmatmul-cost"): 312 / 19.5,
        ("flash-attention-3", "exp-vs-matmul"): (1 / 3.9e12) / ((2 * 128 + 2 * 128) / 989e12),
        ("flash-decoding-split-k", "sm-occupancy"): 32 / 132,
        ("paged-attention-kernels", "block-table-bytes"): 131_072 // 16 * 4,
        ("varlen-packed-attention", "useful-attention-fraction"): sum(n * n for n in (100, 400, 1000, 3000)) / (4 * 3000**2),
        ("flexattention-block-masks", "window-tiles"): window_tiles(8192, 128, 1024),
        # attention-and-masking
        ("causal-mask-in-training", "causal-skip-fraction"): (4096 * 4097 / 2) / 4096**2,
        ("causal-mask-alignment-with-cache", "allowed-pairs"): sum(96 + i + 1 for i in range(4)),
        ("logit-softcapping-and-qk-norm", "softcap-value"): 50 * math.tanh(80 / 50),
        # positions-and-long-context
        ("rope-base-and-long-context-training", "slowest-wavelength"): 2 * math.pi * 500_000 ** (126 / 128),
        ("long-context-effective-length", "attention-share"): (2 * 131_072**2 * 4096 * 32) / (2 * 131_072**2 * 4096 * 32 + 2 * 7e9 * 131_072),
        # tokenization
        ("incremental-detokenization-streaming", "emoji-bytes"): len("\U0001F642".encode("utf-8")),
        ("multilingual-token-costs", "words-in-context"): 8192 // 2.6,
        ("tokenization-in-the-serving-path", "cached-tokens"): (20 // 16) * 16,
    }


def items_by_key() -> dict[tuple[str, str], dict]:
    return {
        (f.meta.get("slug"), item.get("id")): item
        for f in BANK_FILES for item in f.meta.get("quiz") or []
    }


EXPECTED = expected_answers()


@pytest.mark.parametrize("key", list(EXPECTED), ids=lambda key: f"{key[0]}:{key[1]}")
def test_numeric_answer_is_recomputed(key: tuple[str, str]) -> None:
    items = items_by_key()
    assert key in items, f"quiz item {key[0]}:{key[1]} is gone; update expected_answers()"
    item = items[key]
    assert item["kind"] == "numeric", f"{key[0]}:{key[1]} is not a numeric item"
    assert within_tolerance(item, EXPECTED[key]), f"{key[0]}:{key[1]} answers {item['answer']}, recomputed {EXPECTED[key]}"


def test_causal_skip_fraction_rejects_exactly_half() -> None:
    """The item tests that a causal mask allows just over half the pairs; an answer of 0.5 must be marked wrong."""
    item = items_by_key()[("causal-mask-in-training", "causal-skip-fraction")]
    assert not within_tolerance(item, 0.5), "the tolerance accepts 0.5, losing the 'just over half' point"


def test_helpers_compute_known_values() -> None:
    """The recomputation helpers themselves must be right, or the checks above prove nothing."""
    assert softmax([0.0, 0.0]) == [0.5, 0.5]
    assert entropy_bits([0.25] * 4) == 2.0
    assert nucleus_size([0.5, 0.3, 0.15, 0.05], 0.7) == 2
    assert nucleus_size([0.5, 0.3, 0.15, 0.05], 0.8) == 2
