"""Hidden tests for rms-norm: non-zero means, tiny activations, float16 outliers, zero rows, D = 1."""
import torch

from questions.exercises.cases import Case


def cases(seed: int) -> list[Case]:
    g = torch.Generator().manual_seed(seed)

    def randn(*shape, dtype=torch.float32, scale=1.0, shift=0.0):
        return (torch.randn(*shape, generator=g, dtype=torch.float64) * scale + shift).to(dtype)

    def gain(d, dtype=torch.float32):
        return randn(d, dtype=torch.float64, scale=0.2, shift=1.0).to(dtype)

    zero_rows = randn(3, 16)
    zero_rows[1] = 0.0
    outliers = randn(2, 4, 64, scale=20.0)
    outliers[:, :, ::16] = 400.0  # a few channels far above sqrt(65504) ~ 256, as real activations have
    return [
        Case("two-rows-unit-weight", args=(torch.tensor([[1.0, 2.0, 3.0, 4.0], [0.5, -0.5, 0.5, -0.5]]), torch.ones(4)),
             visible=True, explain="Two hand-checkable rows with weight 1: the second row has RMS 0.5."),
        Case("learned-weight", args=(randn(2, 3, 8), gain(8)), visible=True,
             explain="A [2, 3, 8] batch with a non-trivial per-feature weight."),
        Case("shifted-mean-float64", args=(randn(4, 32, dtype=torch.float64, shift=3.0), gain(32, torch.float64)),
             explain="float64 rows whose mean is about 3: RMSNorm must not subtract it."),
        Case("tiny-activations", args=(randn(3, 64, scale=1e-4), gain(64)),
             explain="Activations of size 1e-4, where eps = 1e-6 inside the root dominates the mean of squares."),
        Case("custom-eps", args=(randn(2, 16, dtype=torch.float64, scale=0.1), gain(16, torch.float64)),
             kwargs={"eps": 1e-2}, explain="A larger eps passed as an argument must be the one used."),
        Case("float16-outliers", args=(outliers.to(torch.float16), gain(64, torch.float16)),
             explain="float16 input with channels of 400: their squares overflow float16 unless computed in float32."),
        Case("bfloat16-input", args=(randn(2, 3, 256, scale=4.0).to(torch.bfloat16), gain(256, torch.bfloat16)),
             explain="bfloat16 activations (float32's range, 8 bits of precision): the result stays bfloat16."),
        Case("zero-row", args=(zero_rows, gain(16)),
             explain="A row of zeros must give zeros, not NaN."),
        Case("single-feature", args=(randn(5, 1), gain(1)),
             explain="D = 1: each value is divided by its own magnitude (almost its sign)."),
        Case("large-batch-of-tokens", args=(randn(2, 128, 1024), gain(1024)),
             explain="256 tokens of width 1024."),
    ]


def expected(case: Case):
    """The engine's RMSNorm (engine.core.model) for half and single precision; float64 math for float64.

    The engine, like HF, normalises in float32 even for float64 input, which would not meet the
    float64 tolerance, so float64 cases use the definition computed in float64 here.
    """
    from engine.core.model import RMSNorm

    x, weight = case.args
    eps = case.kwargs.get("eps", 1e-6)
    if x.dtype == torch.float64:
        return x * torch.rsqrt(x.pow(2).mean(dim=-1, keepdim=True) + eps) * weight
    norm = RMSNorm(x.shape[-1], eps).to(x.dtype)
    with torch.no_grad():
        norm.weight.copy_(weight)
        return norm(x)


def engine(case: Case):
    """The engine's production path for the timed (float32) case: RMSNorm's fused kernel call."""
    import torch.nn.functional as F

    x, weight = case.args
    return F.rms_norm(x, weight.shape, weight, case.kwargs.get("eps", 1e-6))
