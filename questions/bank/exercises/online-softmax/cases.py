"""Hidden tests for online-softmax: a growing maximum, huge logits, masked (-inf) blocks, odd block sizes."""
import torch

from questions.exercises.cases import Case


def cases(seed: int) -> list[Case]:
    g = torch.Generator().manual_seed(seed)

    def randn(*shape, dtype=torch.float32, scale=1.0, shift=0.0):
        return (torch.randn(*shape, generator=g, dtype=torch.float64) * scale + shift).to(dtype)

    rising = torch.stack((torch.arange(8.0), torch.arange(8.0).flip(0)))  # row 0's max keeps growing
    masked = randn(3, 24, scale=3.0)
    masked[:, :8] = float("-inf")  # the first blocks are fully masked, as for a causal query's early key blocks
    masked[0, 10] = masked[2, 20] = float("-inf")
    return [
        Case("increasing-logits", args=(rising, 2), visible=True,
             explain="Row 0 rises 0..7, so the maximum grows in every block of 2 and the sum must be rescaled."),
        Case("uneven-last-block", args=(randn(3, 10, scale=2.0), 4), visible=True,
             explain="Rows of 10 in blocks of 4: the last block holds only 2 values."),
        Case("huge-logits", args=(randn(4, 32, scale=5.0, shift=1000.0), 8),
             explain="Logits near 1000: exp without subtracting the maximum overflows to inf."),
        Case("float64-uneven-blocks", args=(randn(2, 3, 50, dtype=torch.float64, scale=4.0), 7),
             explain="float64 rows of 50 in blocks of 7, with leading axes [2, 3]."),
        Case("block-larger-than-row", args=(randn(4, 10), 64),
             explain="block_size 64 for rows of 10: a single block, which is an ordinary stable softmax."),
        Case("block-size-one", args=(randn(2, 9, scale=3.0), 1),
             explain="block_size 1: the statistics are updated after every single value."),
        Case("leading-masked-block", args=(masked, 4),
             explain="The first 8 values of every row are -inf (two whole blocks) and a few more are masked."),
        Case("all-equal-values", args=(torch.full((2, 12), 3.5), 5),
             explain="Equal values: every probability is 1/12."),
        Case("single-element-rows", args=(randn(5, 1), 3),
             explain="N = 1: each row's softmax is exactly 1."),
        Case("large-long-rows", args=(randn(64, 4096, scale=3.0), 256),
             explain="64 rows of 4096 in 16 blocks of 256."),
    ]


def expected(case: Case):
    """float64 math: torch.softmax in float64, cast to the input dtype (-inf entries give exactly 0)."""
    x, _block_size = case.args
    return torch.softmax(x.to(torch.float64), dim=-1).to(x.dtype)


def engine(case: Case):
    """What the engine's attention uses when a whole row fits in memory: torch's fused softmax kernel."""
    x, _block_size = case.args
    return torch.softmax(x, dim=-1)
