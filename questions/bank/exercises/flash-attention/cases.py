"""Hidden tests for flash-attention: ragged blocks, block sizes from 1 to > N, large scores, and a
length at which a materialised N x N score matrix does not fit in the case's memory allowance."""
import torch

from questions.exercises.cases import Case

MB = 1024 * 1024
LONG_N, LONG_HEADS, LONG_DIM = 4096, 2, 32
# The long case's allowance: room for the blocked algorithm's working set (a few MB at block 128),
# far below one head's materialised score matrix (4096 x 4096 float32 = 64 MB).
LONG_ALLOWANCE = 32 * MB


def cases(seed: int) -> list[Case]:
    g = torch.Generator().manual_seed(seed)

    def qkv(b, h, n, d, dtype=torch.float32, scale=1.0):
        def randn():
            return (torch.randn(b, h, n, d, generator=g, dtype=torch.float64) * scale).to(dtype)

        return randn(), randn(), randn()

    score_mb = LONG_N * LONG_N * 4 // MB
    return [
        Case("one-block", args=qkv(1, 1, 8, 4), visible=True,
             explain="Eight tokens in a single block (block_size 64 > N): plain causal attention."),
        Case("three-blocks", args=qkv(1, 1, 12, 4), kwargs={"block_size": 4}, visible=True,
             explain="Twelve tokens in blocks of four: the running max and sum must carry across blocks."),
        Case("ragged-last-block-float64", args=qkv(2, 2, 37, 16, dtype=torch.float64), kwargs={"block_size": 8},
             explain="N = 37 with blocks of 8 (the last block has 5 rows), float64 throughout."),
        Case("block-size-one", args=qkv(1, 2, 6, 8), kwargs={"block_size": 1},
             explain="Blocks of a single key: every step rescales the running statistics."),
        Case("big-scores-many-blocks", args=qkv(1, 2, 40, 8, scale=4.0), kwargs={"block_size": 8},
             explain="Scores in the hundreds over five blocks: the accumulator must be rescaled whenever the max grows."),
        Case("single-token", args=qkv(2, 1, 1, 4),
             explain="One token: the output is its own value vector."),
        Case("diagonal-inside-block", args=qkv(1, 1, 16, 8), kwargs={"block_size": 16},
             explain="One 16 x 16 block holds the whole diagonal: inside it, each query must not see later keys."),
        Case("large-no-score-matrix", args=qkv(1, LONG_HEADS, LONG_N, LONG_DIM), kwargs={"block_size": 128},
             memory_limit_bytes=LONG_ALLOWANCE,
             explain=f"N = {LONG_N}: a materialised {LONG_N}x{LONG_N} score matrix needs {score_mb} MB per head "
                     f"({score_mb * LONG_HEADS} MB for {LONG_HEADS} heads); work block by block."),
    ]


def expected(case: Case):
    """The engine's attention (its SDPA backend, a fused blocked kernel on CPU) in float64, rounded to q's dtype.

    Not the engine's ``tiled`` backend: written for reading, it takes tens of seconds at N = 4096 on a CPU.
    """
    from engine.core.attention import attention

    q, k, v = case.args
    return attention(q.double(), k.double(), v.double(), causal=True, backend="sdpa").to(q.dtype)


def engine(case: Case):
    """The engine's production attention on the case's own inputs: what the timing line compares with."""
    from engine.core.attention import attention

    q, k, v = case.args
    return attention(q, k, v, causal=True, backend="sdpa")
