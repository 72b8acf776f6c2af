"""Hidden tests for causal-mask. Oracle: the engine's full_mask (engine/core/attention.py)."""
import torch

from questions.exercises.cases import Case


def cases(seed: int) -> list[Case]:
    g = torch.Generator().manual_seed(seed)
    s = int(torch.randint(8, 65, (1,), generator=g))
    t = int(torch.randint(2, s, (1,), generator=g))
    return [
        Case("prefill-square", args=(4, 4), visible=True, compare="exact",
             explain="t = s: the plain lower triangle, diagonal included."),
        Case("decode-one-query", args=(1, 6), visible=True, compare="exact",
             explain="One decode query after five cached tokens sees all six keys."),
        Case("chunk-after-cache", args=(3, 8), compare="exact",
             explain="A 3-token chunk after 5 cached tokens: row i sees keys 0 .. 5 + i."),
        Case("single-token", args=(1, 1), compare="exact",
             explain="The first token of a sequence attends only to itself."),
        Case("speculative-verify", args=(5, 21), compare="exact",
             explain="Five tokens checked at once (speculative decoding) against a 16-token cache."),
        Case("random-shape", args=(t, s), compare="exact",
             explain="A random chunk size and cache length."),
        Case("large-long-context", args=(2048, 6144), compare="exact",
             explain="A 2048-token chunk after 4096 cached tokens."),
    ]


def expected(case: Case):
    from engine.core.attention import Masking, full_mask

    t, s = case.args
    return full_mask(t, s, Masking(causal=True), torch.device("cpu"))[0, 0]  # [1, 1, T, S] -> [T, S]
