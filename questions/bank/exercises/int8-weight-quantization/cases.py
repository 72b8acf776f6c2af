"""Hidden tests for int8-weight-quantization; the oracle is the engine's quantize_per_channel."""
import torch

from questions.exercises.cases import Case

# Every w / scale stays this far from a half-integer, so no code depends on how the division rounds.
MARGIN = 1e-3


def _off_ties(w: torch.Tensor) -> torch.Tensor:
    """w with every element whose w / scale lies within MARGIN of k + 0.5 pushed 2 * MARGIN off the tie.

    A row's largest element sits at |w / scale| = 127, far from any tie, so the row's scale is unchanged.
    (A low-precision dtype cannot always hold the nudge; _has_tie finds those rows.)
    """
    wide = w.float()  # float32 puts t = w / scale within 1e-5 of its true value, far inside MARGIN
    scale = wide.abs().amax(dim=1, keepdim=True).clamp(min=1e-12) / 127.0
    t = wide / scale
    offset = t.abs().frac() - 0.5
    step = torch.where(offset >= 0, 2 * MARGIN, -2 * MARGIN) * torch.sign(t)
    return torch.where(offset.abs() < MARGIN, (t + step) * scale, wide).to(w.dtype)


def _has_tie(w: torch.Tensor) -> torch.Tensor:
    """[out, 1] mask of the rows that still hold an element within MARGIN of a tie."""
    t = w.float() / (w.float().abs().amax(dim=1, keepdim=True).clamp(min=1e-12) / 127.0)
    return ((t.abs().frac() - 0.5).abs() < MARGIN).any(dim=1, keepdim=True)


def _weights(g: torch.Generator, out: int, inp: int, dtype=torch.float32, row_scales=None) -> torch.Tensor:
    """Random weights, each row with its own magnitude (as in trained layers), kept off rounding ties."""
    if row_scales is None:
        row_scales = torch.exp(torch.randn(out, 1, generator=g, dtype=torch.float64))

    def draw():
        return _off_ties((torch.randn(out, inp, generator=g, dtype=torch.float64) * 0.05 * row_scales).to(dtype))

    w = draw()
    while bool((bad := _has_tie(w)).any()):  # only rows a low-precision cast pulled back onto a tie
        w = torch.where(bad, draw(), w)
    return w


def cases(seed: int) -> list[Case]:
    g = torch.Generator().manual_seed(seed)
    outlier = _weights(g, 8, 16, row_scales=torch.tensor([[1.0]] * 7 + [[200.0]], dtype=torch.float64))
    zero_row = _weights(g, 5, 12)
    zero_row[2] = 0.0
    return [
        Case("rows-of-different-size", args=(torch.tensor([[0.5, -1.27, -0.456], [0.02, -0.0331, 0.0123]]),), visible=True,
             explain="Row 0 (absmax 1.27) and row 1 (absmax 0.0331) each get their own scale and use the full range of codes."),
        Case("square-matrix", args=(torch.tensor([[1.0, -0.3, 0.2], [0.05, 0.4, -0.01], [-0.6, 0.002, 0.9]]),), visible=True,
             explain="A square matrix: scales must come from rows (outputs), not columns (inputs)."),
        Case("row-maximum-is-127", args=(_weights(g, 4, 10),),
             explain="The largest magnitude of every row is coded exactly +127 or -127: the scale is max|w| / 127, not / 128."),
        Case("random-float32", args=(_weights(g, 16, 32),), explain="A random [16, 32] float32 weight with rows of different magnitude."),
        Case("random-float64", args=(_weights(g, 8, 8, torch.float64),), explain="float64 input: computed in float32, scales returned as float32."),
        Case("bfloat16-weights", args=(_weights(g, 12, 24, torch.bfloat16),), explain="bfloat16 weights, as checkpoints are usually stored."),
        Case("outlier-row", args=(outlier,), explain="One row 200 times larger than the others must not coarsen their codes."),
        Case("all-zero-row", args=(zero_row,), explain="An all-zero row gets the floor scale 1e-12 / 127 and codes 0."),
        Case("single-input", args=(_weights(g, 6, 1),), explain="With one input per row every nonzero code is +127 or -127."),
        Case("large-512x1024", args=(_weights(g, 512, 1024),), explain="A 512 x 1024 projection, timed against the engine."),
    ]


def expected(case: Case):
    from engine.core.quantize import quantize_per_channel

    return quantize_per_channel(*case.args)
