"""Hidden tests for max-concurrent-sequences.

Model sizes come from the engine's formulas; the oracle counts a sequence's blocks with the engine's
own block arithmetic (PagedKVCache.blocks_for) and does the rest in integers after the one float
product the statement prescribes.
"""
import math

import torch

from questions.exercises.cases import Case

GIB = 2**30


def _model(name, dtype="float16"):
    from engine.formulas import kv_cache_bytes_per_token, weight_bytes

    return int(weight_bytes(name, dtype)), int(kv_cache_bytes_per_token(name, dtype))


def _random(g):
    names = ["llama2-7b", "mistral-7b", "smollm2-135m", "gpt2"]
    name = names[int(torch.randint(len(names), (1,), generator=g))]
    gpu = [16, 24, 40, 48, 80, 141][int(torch.randint(6, (1,), generator=g))] * GIB
    block = [1, 8, 16, 32][int(torch.randint(4, (1,), generator=g))]
    tokens = int(torch.randint(1, 32769, (1,), generator=g))
    utilization = [0.8, 0.85, 0.9, 0.95, 1.0][int(torch.randint(5, (1,), generator=g))]
    return (gpu, *_model(name), tokens, block, utilization)


def cases(seed: int) -> list[Case]:
    g = torch.Generator().manual_seed(seed)
    return [
        Case("llama2-7b-h100", args=(80 * GIB, *_model("llama2-7b"), 4000, 16, 0.9), visible=True, compare="exact",
             explain="Llama-2-7B in float16 on an 80 GiB GPU at 90 %: 4000-token sequences in 16-token blocks."),
        Case("toy-numbers", args=(1000, 200, 2, 10, 4, 1.0), visible=True, compare="exact",
             explain="800 free bytes make 100 blocks of 4 tokens; a 10-token sequence needs 3 of them: 33 sequences."),
        Case("partial-last-block", args=(10_000, 1_000, 10, 17, 16, 1.0), compare="exact",
             explain="17 tokens take two 16-token blocks: the one extra token costs a whole block."),
        Case("mistral-a100-40g", args=(40 * GIB, *_model("mistral-7b"), 8192, 16, 0.9), compare="exact",
             explain="Mistral-7B (GQA) on a 40 GiB GPU with 8k-token sequences."),
        Case("weights-do-not-fit", args=(16 * GIB, *_model("llama2-7b", "float32"), 512, 16, 0.9), compare="exact",
             explain="Llama-2-7B in float32 needs about 27 GB of weights: a 16 GiB GPU has no room for any cache."),
        Case("block-size-one", args=(4096, 96, 8, 3, 1, 1.0), compare="exact",
             explain="One-token blocks waste nothing: free bytes divided by one sequence's bytes."),
        Case("large-random-deployments", args=_random(g), compare="exact",
             explain="A random model, GPU, block size, sequence length and utilisation."),
    ]


def expected(case: Case):
    from engine.core.config import ModelConfig
    from engine.serving.paged_kv_cache import PagedKVCache

    gpu, weights, kv_per_token, tokens, block, utilization = case.args
    usable = math.floor(gpu * utilization)
    pool_blocks = max(0, usable - weights) // (block * kv_per_token)
    bookkeeping = PagedKVCache(ModelConfig(), num_blocks=1, block_size=block, allocate_storage=False)
    return pool_blocks // bookkeeping.blocks_for(tokens)
