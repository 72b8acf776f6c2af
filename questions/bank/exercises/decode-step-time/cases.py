"""Hidden tests for decode-step-time.

Inputs come from the engine's formulas (weights and per-token KV bytes of real model shapes); the
oracle is exact rational arithmetic (fractions), rounded once to a float.
"""
from fractions import Fraction

import torch

from questions.exercises.cases import Case

H100_TBS = 3.35
A100_TBS = 2.039


def _model(name):
    from engine.formulas import kv_cache_bytes_per_token, weight_bytes

    return float(weight_bytes(name, "float16")), float(kv_cache_bytes_per_token(name, "float16"))


def cases(seed: int) -> list[Case]:
    g = torch.Generator().manual_seed(seed)
    llama7, llama70, mistral = _model("llama2-7b"), _model("llama2-70b"), _model("mistral-7b")
    mixed = torch.randint(1, 4097, (16,), generator=g).tolist()
    large = torch.randint(0, 8193, (256,), generator=g).tolist()
    return [
        Case("llama2-7b-one-sequence", args=(*llama7, [1000], H100_TBS), visible=True,
             explain="Llama-2-7B in float16, one sequence with 1000 cached tokens, on an H100: about 4.2 ms."),
        Case("batch-of-four", args=(*llama7, [1000] * 4, H100_TBS), visible=True,
             explain="Four such sequences: the weights are still read once, only the cache term quadruples."),
        Case("empty-cache", args=(*mistral, [0, 0], A100_TBS),
             explain="Nothing cached yet: the step reads the weights alone."),
        Case("mixed-lengths-batch", args=(*llama7, mixed, A100_TBS),
             explain="Sixteen sequences of different lengths: each reads only its own tokens."),
        Case("long-context-single", args=(*mistral, [32768], H100_TBS),
             explain="One 32k-token context on a GQA model: the cache is a real share of the bytes."),
        Case("gqa-70b-batch", args=(*llama70, [2048] * 8, H100_TBS),
             explain="Llama-2-70B (8 KV heads) with eight 2k-token sequences."),
        Case("large-batch-h100", args=(*llama7, large, H100_TBS),
             explain="256 sequences of up to 8k tokens: the cache reads far outweigh the weights."),
    ]


def expected(case: Case):
    weight_bytes, kv_bytes_per_token, context_lens, bandwidth = case.args
    total = Fraction(weight_bytes) + Fraction(kv_bytes_per_token) * sum(context_lens)
    return float(total / (Fraction(bandwidth) * 10**12) * 1000)
