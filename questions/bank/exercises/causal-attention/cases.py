"""Hidden tests for causal-attention: prefill, decode and chunked prefill alignment, scale, dtypes."""
import torch

from questions.exercises.cases import Case


def cases(seed: int) -> list[Case]:
    g = torch.Generator().manual_seed(seed)

    def qkv(b, h, t, s, d, dtype=torch.float32, scale=1.0):
        def randn(*shape):
            return (torch.randn(*shape, generator=g, dtype=torch.float64) * scale).to(dtype)

        return randn(b, h, t, d), randn(b, h, s, d), randn(b, h, s, d)

    return [
        Case("three-tokens", args=qkv(1, 1, 3, 3, 4), visible=True,
             explain="Three tokens attending causally: token 0 sees only itself, token 2 sees all three."),
        Case("not-causal", args=qkv(1, 2, 4, 4, 8), kwargs={"causal": False}, visible=True,
             explain="causal=False: every query sees every key."),
        Case("two-heads-float64", args=qkv(2, 2, 5, 5, 16, dtype=torch.float64),
             explain="Two sequences, two heads, float64: the scale 1/sqrt(16) and the triangle must both be right."),
        Case("decode-one-query", args=qkv(1, 2, 1, 7, 8, scale=2.0),
             explain="One decoding step (T = 1) against 7 cached keys: the new query sees all of them."),
        Case("chunked-prefill", args=qkv(2, 1, 3, 8, 8),
             explain="A chunk of 3 queries continuing 5 cached positions: query i sits at position 5 + i."),
        Case("single-position", args=qkv(3, 1, 1, 1, 4),
             explain="One query and one key: the output is that key's value."),
        Case("wide-head-dim", args=qkv(1, 4, 6, 6, 128, scale=1.5),
             explain="D = 128: without the 1/sqrt(D) scale the softmax collapses onto one key."),
        Case("large-prefill", args=qkv(1, 8, 256, 256, 64),
             explain="A 256-token prefill with 8 heads of 64 dimensions (the timed case)."),
    ]


def expected(case: Case):
    """The engine's float64 ground truth (the naive algorithm in float64), rounded to the input's dtype."""
    from engine.core.attention import attention_reference_fp64

    q, k, v = case.args
    return attention_reference_fp64(q, k, v, causal=case.kwargs.get("causal", True)).to(q.dtype)


def engine(case: Case):
    """The engine's production path for the same call (PyTorch's fused SDPA kernel)."""
    from engine.core.attention import attention

    q, k, v = case.args
    return attention(q, k, v, causal=case.kwargs.get("causal", True), backend="sdpa")
