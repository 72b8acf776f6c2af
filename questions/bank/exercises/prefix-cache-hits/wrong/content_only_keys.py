"""Looks blocks up by their own tokens only, ignoring what came before them."""


def prefix_cache_hits(prompts: list[list[int]], block_size: int) -> list[int]:
    cached: set[tuple[int, ...]] = set()
    hits = []
    for prompt in prompts:
        reused = 0
        while reused + block_size <= len(prompt) - 1 and tuple(prompt[reused : reused + block_size]) in cached:
            reused += block_size
        hits.append(reused)
        for start in range(0, len(prompt) - block_size + 1, block_size):
            cached.add(tuple(prompt[start : start + block_size]))
    return hits
