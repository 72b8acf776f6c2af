"""Hidden tests for stable-softmax: large and masked scores, slices on different scales, every dim."""
import torch

from questions.exercises.cases import Case


def cases(seed: int) -> list[Case]:
    g = torch.Generator().manual_seed(seed)

    def randn(*shape, dtype=torch.float32, scale=1.0):
        return (torch.randn(*shape, generator=g, dtype=torch.float64) * scale).to(dtype)

    masked = randn(3, 6)
    masked[0, 1:] = float("-inf")  # only one position left: it must get all the weight
    masked[1, ::2] = float("-inf")
    masked[2, 3] = float("-inf")
    far_apart = torch.stack([randn(5), randn(5) - 2000.0, randn(5) + 500.0])
    return [
        Case("one-row", args=(torch.tensor([[1.0, 2.0, 3.0]]),), visible=True,
             explain="A small row you can check by hand: about [0.090, 0.245, 0.665]."),
        Case("columns-dim-0", args=(torch.tensor([[1.0, 5.0], [3.0, 5.0], [2.0, 5.0]]),), kwargs={"dim": 0},
             visible=True, explain="dim=0 normalises each column, so every column sums to 1."),
        Case("positive-scores-near-1000", args=(randn(4, 8, scale=10.0) + 1000.0,),
             explain="Scores near 1000: exp overflows unless each slice's maximum is subtracted first."),
        Case("very-negative-scores", args=(randn(4, 8, dtype=torch.float64) - 1000.0,),
             explain="Scores near -1000 in float64: exp underflows to 0 and 0/0 is NaN unless shifted by the maximum."),
        Case("slices-far-apart", args=(far_apart,),
             explain="Rows whose scores sit thousands apart: each row must be shifted by its own maximum."),
        Case("masked-minus-inf", args=(masked,),
             explain="-inf entries (masked positions) get probability exactly 0; a row with one finite entry puts 1 there."),
        Case("middle-dim", args=(randn(2, 5, 3),), kwargs={"dim": 1},
             explain="A 3-d tensor normalised along its middle dimension."),
        Case("negative-dim-float64", args=(randn(2, 3, 4, dtype=torch.float64),), kwargs={"dim": -2},
             explain="A negative dim counts from the end; float64 input stays float64."),
        Case("size-one-slices", args=(randn(4, 1),),
             explain="Slices of length one: every probability is exactly 1."),
        Case("all-equal", args=(torch.full((2, 7), 3.5),),
             explain="Equal scores share the probability evenly: 1/7 each."),
        Case("large-attention-rows", args=(randn(256, 2048, scale=8.0),),
             explain="A float32 block of attention scores, 256 rows of 2048 keys (the timed case)."),
    ]


def expected(case: Case):
    """float64 math, independent of torch.softmax's own kernel, rounded to the input's dtype."""
    (x,) = case.args
    dim = case.kwargs.get("dim", -1)
    x64 = x.double()
    weights = torch.exp(x64 - x64.amax(dim=dim, keepdim=True))
    return (weights / weights.sum(dim=dim, keepdim=True)).to(x.dtype)


def engine(case: Case):
    """What the engine's attention uses in production: torch's fused softmax kernel."""
    (x,) = case.args
    return torch.softmax(x, dim=case.kwargs.get("dim", -1))
