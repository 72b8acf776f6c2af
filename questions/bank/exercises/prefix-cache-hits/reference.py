def prefix_cache_hits(prompts: list[list[int]], block_size: int) -> list[int]:
    cached: set[tuple[int, ...]] = set()  # every cached block, named by the whole prefix up to its end
    hits = []
    for prompt in prompts:
        reused = 0
        # A block may be reused only if it ends before the last token, which must be recomputed.
        while reused + block_size <= len(prompt) - 1 and tuple(prompt[: reused + block_size]) in cached:
            reused += block_size
        hits.append(reused)
        for end in range(block_size, len(prompt) + 1, block_size):
            cached.add(tuple(prompt[:end]))
    return hits
