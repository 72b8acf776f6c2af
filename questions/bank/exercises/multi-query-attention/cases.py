"""Hidden tests for multi-query-attention.

Oracle: the engine's float64 reference attention (engine.core.attention.attention_reference_fp64),
which takes one KV head for H query heads natively, between projections done here in float64.
"""
import math

import torch

from questions.exercises.cases import Case


def _layer(g, b, t, c, heads, d, dtype):
    """x and the four weights, scaled so activations stay around 1 (scores neither flat nor saturated)."""
    def w(rows, cols):
        return torch.randn(rows, cols, generator=g, dtype=torch.float64).div(math.sqrt(rows)).to(dtype)

    x = torch.randn(b, t, c, generator=g, dtype=torch.float64).to(dtype)
    return (x, w(c, heads * d), w(c, d), w(c, d), w(heads * d, c), heads)


def cases(seed: int) -> list[Case]:
    g = torch.Generator().manual_seed(seed)
    return [
        Case("one-sequence-three-tokens", args=_layer(g, 1, 3, 4, 2, 2, torch.float64), visible=True,
             explain="One sequence of three tokens, width 4, two query heads of size 2 sharing one key/value head."),
        Case("two-heads-small", args=_layer(g, 2, 5, 8, 2, 4, torch.float64), visible=True,
             explain="A batch of two; later tokens must not influence earlier ones."),
        Case("single-head", args=_layer(g, 1, 6, 8, 1, 8, torch.float64),
             explain="H = 1: multi-query and ordinary single-head attention coincide."),
        Case("single-token", args=_layer(g, 3, 1, 16, 4, 4, torch.float64),
             explain="One token per sequence attends only to itself, so the output is v projected by w_o."),
        Case("float32-batch", args=_layer(g, 4, 16, 64, 8, 8, torch.float32),
             explain="float32 inputs, eight query heads; the output must stay float32."),
        Case("head-dim-not-width", args=_layer(g, 2, 9, 24, 3, 16, torch.float64),
             explain="H·D (48) differs from the model width C (24): the scale is 1/sqrt(D) and w_o maps back to C."),
        Case("large-layer", args=_layer(g, 2, 128, 256, 8, 32, torch.float32),
             explain="Two sequences of 128 tokens through a 256-wide layer with eight query heads."),
    ]


def expected(case: Case):
    from engine.core.attention import attention_reference_fp64

    x, w_q, w_k, w_v, w_o, heads = case.args
    x64 = x.double()
    b, t, _ = x.shape
    d = w_k.shape[1]
    q = (x64 @ w_q.double()).view(b, t, heads, d).transpose(1, 2)
    k = (x64 @ w_k.double()).unsqueeze(1)
    v = (x64 @ w_v.double()).unsqueeze(1)
    out = attention_reference_fp64(q, k, v, causal=True)  # [B, H, T, D]
    return (out.transpose(1, 2).reshape(b, t, heads * d) @ w_o.double()).to(x.dtype)
