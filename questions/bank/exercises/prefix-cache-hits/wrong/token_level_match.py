"""Shares the longest common token prefix with an earlier prompt, ignoring block boundaries."""


def prefix_cache_hits(prompts: list[list[int]], block_size: int) -> list[int]:
    hits = []
    for i, prompt in enumerate(prompts):
        best = 0
        for earlier in prompts[:i]:
            common = 0
            while common < min(len(prompt), len(earlier)) and prompt[common] == earlier[common]:
                common += 1
            best = max(best, common)
        hits.append(min(best, len(prompt) - 1))
    return hits
