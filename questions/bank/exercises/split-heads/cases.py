"""Hidden tests for split-heads: labelled features, H = 1, T = 1, D = 1, integer input, fused-QKV slices."""
import torch

from questions.exercises.cases import Case


def cases(seed: int) -> list[Case]:
    g = torch.Generator().manual_seed(seed)

    def randn(*shape, dtype=torch.float32):
        return torch.randn(*shape, generator=g, dtype=torch.float64).to(dtype)

    qkv = randn(2, 4, 3 * 24)  # a fused projection: q, k and v side by side on the last axis
    return [
        Case("labelled-channels", args=(torch.arange(12, dtype=torch.float32).view(1, 2, 6), 3), visible=True, compare="exact",
             explain="Entry t*6 + c holds value t*6 + c: with 3 heads of 2, head 1 of token 0 must be [2, 3]."),
        Case("two-heads", args=(randn(2, 3, 8), 2), visible=True, compare="exact",
             explain="Batch 2, three tokens, width 8 split into two heads of 4."),
        Case("one-head", args=(randn(2, 5, 6), 1), compare="exact",
             explain="H = 1: the only change is a new head axis of size 1 in front of the tokens."),
        Case("one-token", args=(randn(3, 1, 16), 4), compare="exact",
             explain="T = 1, as in a decode step."),
        Case("head-dim-one", args=(randn(1, 4, 5), 5), compare="exact",
             explain="D = 1: every feature is its own head."),
        Case("float64-many-heads", args=(randn(2, 5, 48, dtype=torch.float64), 12), compare="exact",
             explain="Twelve float64 heads of dimension 4."),
        Case("integer-input", args=(torch.randint(-1000, 1000, (2, 3, 12), generator=g), 4), compare="exact",
             explain="An int64 tensor: pure data movement, no arithmetic."),
        Case("slice-of-fused-qkv", args=(qkv[..., 24:48], 6), compare="exact",
             explain="The key slice of a fused QKV projection: a non-contiguous view of a wider tensor."),
        Case("large-long-sequence", args=(randn(2, 256, 1024), 16), compare="exact",
             explain="512 tokens of width 1024 into 16 heads of 64."),
    ]


def expected(case: Case):
    """The engine's own split (engine.core.model.Attention.forward): view as [B, T, H, D], then transpose."""
    x, n_heads = case.args
    b, t, c = x.shape
    return x.reshape(b, t, n_heads, c // n_heads).transpose(1, 2)
