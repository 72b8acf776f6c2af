"""Hidden tests for padding-mask-attention: right and left padding, T != S, empty rows, one real key."""
import torch

from questions.exercises.cases import Case


def _lengths_mask(lengths: list[int], s: int, left: bool = False) -> torch.Tensor:
    """[B, S] bool with the first (or, left-padded, the last) lengths[b] positions real."""
    idx = torch.arange(s)[None, :]
    n = torch.tensor(lengths)[:, None]
    return idx >= s - n if left else idx < n


def cases(seed: int) -> list[Case]:
    g = torch.Generator().manual_seed(seed)

    def qkv(b, h, t, s, d, dtype=torch.float32):
        def randn(*shape):
            return torch.randn(*shape, generator=g, dtype=torch.float64).to(dtype)
        return randn(b, h, t, d), randn(b, h, s, d), randn(b, h, s, d)

    scattered = torch.rand(3, 9, generator=g) < 0.6
    scattered[:, 0] = True  # every row keeps at least one real key here; empty rows have their own case
    one_real = torch.zeros(2, 6, dtype=torch.bool)
    one_real[0, 4] = one_real[1, 0] = True
    empty = _lengths_mask([5, 0, 3], 5)
    return [
        Case("right-padded-pair", args=(*qkv(2, 1, 4, 4, 4), _lengths_mask([4, 2], 4)), visible=True,
             explain="Two sequences of lengths 4 and 2, padded on the right to 4."),
        Case("left-padded-batch", args=(*qkv(2, 2, 5, 5, 8), _lengths_mask([3, 5], 5, left=True)), visible=True,
             explain="Left padding, as a decoder-only engine pads batched prompts."),
        Case("queries-fewer-than-keys", args=(*qkv(2, 2, 3, 7, 8), _lengths_mask([7, 4], 7)),
             explain="T = 3 queries against S = 7 keys: the mask has one entry per key, not per query."),
        Case("fully-padded-row", args=(*qkv(3, 2, 5, 5, 4), empty),
             explain="Batch element 1 has no real key at all: its output must be zeros, not NaN."),
        Case("float64-scattered-padding", args=(*qkv(3, 2, 9, 9, 8, torch.float64), scattered),
             explain="float64 with padding at arbitrary positions, not only at one end."),
        Case("no-padding", args=(*qkv(2, 3, 6, 6, 16), torch.ones(2, 6, dtype=torch.bool)),
             explain="Every key real: plain softmax attention with the 1/sqrt(D) scale."),
        Case("single-real-key", args=(*qkv(2, 2, 3, 6, 4), one_real),
             explain="One real key per batch element: every query's output equals that key's value."),
        Case("large-padded-prompts", args=(*qkv(2, 4, 128, 128, 64), _lengths_mask([128, 37], 128, left=True)),
             explain="Two left-padded prompts of up to 128 tokens over 4 heads of dimension 64."),
    ]


def expected(case: Case):
    """The engine's attention (engine.core.attention.attention), SDPA backend, non-causal with the key padding
    mask; it zeroes rows with no real key. It agrees with the engine's float64 ground truth to ~3e-7 in float32
    and ~1e-15 in float64, and it is the engine speed the largest case is timed against."""
    from engine.core.attention import attention

    q, k, v, key_padding_mask = case.args
    return attention(q, k, v, causal=False, key_padding_mask=key_padding_mask, backend="sdpa")
