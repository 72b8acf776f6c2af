"""Allows the block with the last prompt token to be reused (a fully cached prompt)."""


def prefix_cache_hits(prompts: list[list[int]], block_size: int) -> list[int]:
    cached: set[tuple[int, ...]] = set()
    hits = []
    for prompt in prompts:
        reused = 0
        while reused + block_size <= len(prompt) and tuple(prompt[: reused + block_size]) in cached:
            reused += block_size
        hits.append(reused)
        for end in range(block_size, len(prompt) + 1, block_size):
            cached.add(tuple(prompt[:end]))
    return hits
