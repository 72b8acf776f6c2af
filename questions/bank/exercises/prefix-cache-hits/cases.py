"""Hidden tests for prefix-cache-hits. Oracle: the engine's PagedKVCache with its prefix cache (no storage)."""
import math

import torch

from questions.exercises.cases import Case


def _tokens(g, n, vocab=1000):
    return torch.randint(0, vocab, (n,), generator=g).tolist()


def _shared_system_prompts(g, n_requests, block_size):
    """Requests that start with one of five system prompts, then (usually) a question of their own.

    Four system prompts share a first part of 2 to 5 blocks; the fifth is that part shifted by one block
    (the same block contents after a different prefix). Some requests are a bare system prompt, so a
    prompt can end exactly on a block boundary of a cached one.
    """
    base = _tokens(g, 8 * block_size)
    systems = [base[: (2 + i) * block_size] + _tokens(g, 4 * block_size) for i in range(4)]
    systems.append(base[block_size : 7 * block_size])
    prompts = []
    for i in range(n_requests):
        # The first request carries the longest unshifted prompt, so the shifted one always arrives later.
        system = systems[3] if i == 0 else systems[int(torch.randint(len(systems), (1,), generator=g))]
        question = int(torch.randint(0, 40, (1,), generator=g))
        prompts.append(system + _tokens(g, question if question > 3 else 0))
    return (prompts, block_size)


def cases(seed: int) -> list[Case]:
    g = torch.Generator().manual_seed(seed)
    system = list(range(1, 11))
    turn1 = _tokens(g, 13)
    turn2 = turn1 + _tokens(g, 9)
    return [
        Case("shared-system-prompt", args=([system + [20, 21], system + [30, 31, 32]], 4), visible=True, compare="exact",
             explain="A 10-token system prompt: the second request reuses its two full blocks (8 tokens), not the partial third."),
        Case("identical-prompts", args=([list(range(8)), list(range(8))], 4), visible=True, compare="exact",
             explain="The same 8-token prompt twice: the block holding the last token is recomputed, so only 4 tokens are reused."),
        Case("same-block-after-different-prefix", args=([[1, 2, 3, 4, 5, 6, 7, 8, 9], [5, 6, 7, 8, 5, 6, 7, 8, 9]], 4),
             compare="exact",
             explain="Tokens 5-8 were cached as the second block of another prompt; as a first block they are a different block."),
        Case("partial-block-not-shared", args=([[7] * 6 + [1, 2], [7] * 6 + [3, 4, 5]], 4), compare="exact",
             explain="Six common tokens with blocks of 4: only one whole block can be shared."),
        Case("prompt-shorter-than-block", args=([[1, 2, 3], [1, 2, 3], [1, 2, 3, 4, 5]], 8), compare="exact",
             explain="Prompts shorter than one block never fill a block, so nothing is ever reused."),
        Case("block-size-one", args=([[4, 5, 6, 7], [4, 5, 6, 7], [4, 5, 9]], 1), compare="exact",
             explain="With one token per block a repeated prompt reuses all but its last token."),
        Case("multi-turn-chat", args=([turn1, turn2, turn2 + _tokens(g, 5)], 4), compare="exact",
             explain="Each turn's prompt extends the previous one and reuses the earlier turns' full blocks."),
        Case("large-shared-system-prompts", args=_shared_system_prompts(g, 300, 16), compare="exact",
             explain="300 requests over five system prompts that share or shift a common part, 16-token blocks."),
    ]


def expected(case: Case):
    from engine.core.config import ModelConfig
    from engine.serving.paged_kv_cache import PagedKVCache

    prompts, block_size = case.args
    num_blocks = sum(math.ceil(len(p) / block_size) for p in prompts) + 1  # never evicts
    cache = PagedKVCache(ModelConfig(), num_blocks, block_size, allocate_storage=False)
    hits = []
    for request, prompt in enumerate(prompts):
        reused = cache.add_sequence(request, prompt)
        cache.reserve(request, prompt[reused:])
        cache.mark_computed(request)  # the prompt's full blocks join the prefix cache
        hits.append(reused)
    return hits
