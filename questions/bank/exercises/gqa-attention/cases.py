"""Hidden tests for gqa-attention: GQA, MQA and MHA groupings; prefill, decode and chunked-prefill alignment."""
import torch

from questions.exercises.cases import Case


def cases(seed: int) -> list[Case]:
    g = torch.Generator().manual_seed(seed)

    def qkv(b, hq, hkv, t, s, d, dtype=torch.float32):
        def randn(*shape):
            return torch.randn(*shape, generator=g, dtype=torch.float64).to(dtype)
        return randn(b, hq, t, d), randn(b, hkv, s, d), randn(b, hkv, s, d)

    return [
        Case("two-groups-prefill", args=qkv(1, 4, 2, 4, 4, 8), visible=True,
             explain="Prefill (T = S = 4) with 4 query heads sharing 2 KV heads in pairs."),
        Case("decode-one-query", args=qkv(2, 4, 1, 1, 6, 8), visible=True,
             explain="Multi-query decode: one new query at position 5 must see all 6 cached keys."),
        Case("grouped-heads-float64", args=qkv(2, 6, 3, 5, 5, 16, torch.float64),
             explain="float64, 6 query heads over 3 KV heads: query head 1 must read KV head 0."),
        Case("chunk-after-cache", args=qkv(1, 8, 2, 3, 10, 8),
             explain="Chunked prefill: 3 new queries at positions 7, 8, 9 after 7 cached keys."),
        Case("multi-head-equal-heads", args=qkv(2, 3, 3, 4, 4, 8),
             explain="Hkv = Hq: ordinary multi-head attention, each query head with its own KV head."),
        Case("wide-head-dim", args=qkv(1, 4, 2, 6, 6, 128),
             explain="head_dim 128, where leaving out 1/sqrt(D) makes the softmax nearly one-hot."),
        Case("single-position", args=qkv(3, 2, 1, 1, 1, 4),
             explain="T = S = 1: the only key gets all the weight, so the output is its value."),
        Case("large-gqa-prefill", args=qkv(1, 8, 2, 256, 256, 64),
             explain="A 256-token prefill with 8 query heads over 2 KV heads of dimension 64."),
    ]


def expected(case: Case):
    """The engine's attention (engine.core.attention.attention), SDPA backend: its bottom-right causal mask
    and GQA head sharing. It agrees with the engine's float64 ground truth to ~3e-7 in float32 and ~1e-15
    in float64, well inside the tolerances, and it is the engine speed the largest case is timed against."""
    from engine.core.attention import attention

    q, k, v = case.args
    return attention(q, k, v, causal=True, backend="sdpa")
