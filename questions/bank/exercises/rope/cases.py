"""Hidden tests for rope: prefill, decode and chunk positions, D = 2, another base, far float64 positions."""
import torch

from questions.exercises.cases import Case


def cases(seed: int) -> list[Case]:
    g = torch.Generator().manual_seed(seed)

    def randn(*shape, dtype=torch.float32):
        return torch.randn(*shape, generator=g, dtype=torch.float64).to(dtype)

    def start(low: int, high: int) -> int:
        return int(torch.randint(low, high, (1,), generator=g))

    chunk = start(100, 400)
    far = start(15_000, 20_000)
    scattered = torch.sort(torch.randint(0, 500, (6,), generator=g)).values
    return [
        Case("prefill-from-zero", args=(randn(1, 2, 4, 8), torch.arange(4)), visible=True,
             explain="A 4-token prompt at positions 0..3 with head_dim 8."),
        Case("decode-step-at-position-7", args=(randn(1, 2, 1, 8), torch.tensor([7])), visible=True,
             explain="One decode token at position 7: it must turn by 7 * theta, not by 0."),
        Case("offset-chunk-float64", args=(randn(2, 3, 5, 16, dtype=torch.float64), torch.arange(chunk, chunk + 5)),
             explain="A later chunk of a prompt in float64: positions start well past 0."),
        Case("head-dim-two", args=(randn(1, 1, 6, 2), torch.arange(6)),
             explain="head_dim 2: a single pair, the smallest valid head."),
        Case("custom-base-llama3", args=(randn(1, 2, 8, 64), torch.arange(8)), kwargs={"base": 500000.0},
             explain="LLaMA-3's base of 500,000 with head_dim 64: the base must reach every frequency."),
        Case("scattered-positions", args=(randn(2, 2, 6, 32), scattered),
             explain="Sorted, possibly repeated positions that are not a range (as after left padding)."),
        Case("far-positions-float64", args=(randn(1, 2, 4, 16, dtype=torch.float64), torch.arange(far, far + 4)),
             explain="float64 input near position 20,000: the angles must be computed in float64."),
        Case("large-prefill-256", args=(randn(2, 8, 256, 64), torch.arange(256)),
             explain="A 256-token prefill over 8 heads of dimension 64."),
    ]


def expected(case: Case):
    """The engine's rotation (engine.core.model.apply_rope) fed float64 cos/sin tables built here."""
    from engine.core.model import apply_rope

    x, positions = case.args
    base = case.kwargs.get("base", 10000.0)
    d = x.shape[-1]
    inv_freq = base ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)  # [D/2]
    angles = positions.to(torch.float64)[:, None] * inv_freq[None, :]  # [T, D/2]
    cos = torch.cat((angles, angles), dim=-1).cos()
    # The engine's table convention: rotate_half's minus sign lives in the first half of sin.
    signed_sin = torch.cat((-angles.sin(), angles.sin()), dim=-1)
    return apply_rope(x.to(torch.float64), cos, signed_sin).to(x.dtype)


def engine(case: Case):
    """The engine's production path: RotaryEmbedding's float32 tables indexed by position, then apply_rope."""
    from engine.core.model import RotaryEmbedding, apply_rope

    x, positions = case.args
    rope = RotaryEmbedding(x.shape[-1], int(positions.max()) + 1, case.kwargs.get("base", 10000.0))
    return apply_rope(x, rope.cos[positions].to(x.dtype), rope.sin[positions].to(x.dtype))
