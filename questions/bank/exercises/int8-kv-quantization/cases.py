"""Hidden tests for int8-kv-quantization; the oracle is the engine's Int8Cache.quantize."""
import torch

from questions.exercises.cases import Case

# Every x / scale stays this far from a half-integer, so no code depends on how the division rounds.
MARGIN = 1e-3


def _off_ties(x: torch.Tensor) -> torch.Tensor:
    """x with every element whose x / scale lies within MARGIN of k + 0.5 pushed 2 * MARGIN off the tie.

    A vector's largest element sits at |x / scale| = 127, far from any tie, so its scale is unchanged.
    (A low-precision dtype cannot always hold the nudge; _has_tie finds those vectors.)
    """
    wide = x.float()  # float32 puts t = x / scale within 1e-5 of its true value, far inside MARGIN
    scale = wide.abs().amax(dim=-1, keepdim=True).clamp(min=1e-8) / 127.0
    t = wide / scale
    offset = t.abs().frac() - 0.5
    step = torch.where(offset >= 0, 2 * MARGIN, -2 * MARGIN) * torch.sign(t)
    return torch.where(offset.abs() < MARGIN, (t + step) * scale, wide).to(x.dtype)


def _has_tie(x: torch.Tensor) -> torch.Tensor:
    """[..., 1] mask of the vectors that still hold an element within MARGIN of a tie."""
    t = x.float() / (x.float().abs().amax(dim=-1, keepdim=True).clamp(min=1e-8) / 127.0)
    return ((t.abs().frac() - 0.5).abs() < MARGIN).any(dim=-1, keepdim=True)


def _random(g: torch.Generator, shape, dtype=torch.float32, scale: float = 1.0) -> torch.Tensor:
    def draw():
        return _off_ties((torch.randn(*shape, generator=g, dtype=torch.float64) * scale).to(dtype))

    x = draw()
    while bool((bad := _has_tie(x)).any()):  # only vectors a low-precision cast pulled back onto a tie
        x = torch.where(bad, draw(), x)
    return x


def cases(seed: int) -> list[Case]:
    g = torch.Generator().manual_seed(seed)
    outlier = _random(g, (1, 2, 6, 16))
    outlier[0, 1, 3] = _random(g, (16,), scale=80.0)  # one token of one head with huge values
    zeros = _random(g, (2, 2, 4, 8))
    zeros[0, 1, 2] = 0.0
    zeros[1, :, 0] = 0.0
    return [
        Case("one-vector", args=(torch.tensor([[[[0.5, -1.27, -0.456, 0.777]]]]),), visible=True,
             explain="absmax 1.27 gives scale 0.01: -0.456 / 0.01 = -45.6 rounds to -46 and 77.7 to 78; the codes are 50, -127, -46, 78."),
        Case("each-token-own-scale", args=(torch.tensor([[[[2.1, -4.0, 1.0], [0.02, 0.01, -0.03]], [[100.0, 55.0, -20.0], [0.5, 0.6, 0.7]]]]),),
             visible=True, explain="Every token of every head has its own scale, so a small vector still uses the full int8 range."),
        Case("random-float32", args=(_random(g, (2, 4, 8, 16)),), explain="Random float32 keys, [2, 4, 8, 16]."),
        Case("random-float64", args=(_random(g, (1, 2, 5, 8), torch.float64),), explain="float64 input: computed in float32, scale returned as float32."),
        Case("bfloat16-input", args=(_random(g, (2, 2, 4, 32), torch.bfloat16),), explain="A bfloat16 cache write, as a model running in bfloat16 produces."),
        Case("outlier-token", args=(outlier,), explain="One token with values 80 times larger must not coarsen the other tokens' codes."),
        Case("all-zero-vectors", args=(zeros,), explain="An all-zero vector gets the floor scale 1e-8 / 127 and codes 0, never a zero scale."),
        Case("head-dim-one", args=(_random(g, (2, 3, 5, 1)),), explain="With D = 1 every nonzero code is +127 or -127."),
        Case("large-4x8x512x64", args=(_random(g, (4, 8, 512, 64)),), explain="A 512-token cache write for 8 heads of dimension 64, timed against the engine."),
    ]


def expected(case: Case):
    from engine.core.kv_cache import Int8Cache

    return Int8Cache.quantize(*case.args)
