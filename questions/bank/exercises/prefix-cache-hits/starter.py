def prefix_cache_hits(prompts: list[list[int]], block_size: int) -> list[int]:
    """Prompt tokens each request (in order) reuses from a block-based prefix cache.

    Full blocks only, identified by all tokens up to the block's end; the leading run of cached blocks is
    reused, never a block holding the last prompt token; each prompt's full blocks are cached after it.
    """
    raise NotImplementedError
