"""Hidden tests for sliding-window-cache: before and after wrapping, chunks across the end, prompts longer than W."""
import torch

from questions.exercises.cases import Case


def cases(seed: int) -> list[Case]:
    g = torch.Generator().manual_seed(seed)

    def step(b, h, w, d, t, pos, dtype=torch.float32):
        def randn(*shape):
            return torch.randn(*shape, generator=g, dtype=torch.float64).to(dtype)
        # Random contents in every slot (old keys or never-written garbage), so untouched slots are checkable.
        return randn(b, h, w, d), randn(b, h, t, d), pos

    return [
        Case("filling-before-wrap", args=step(1, 2, 4, 4, 2, 1), visible=True, compare="exact",
             explain="W = 4, positions 1 and 2 arrive after position 0: slots 1, 2 written; 3 keys held."),
        Case("decode-wraps-around", args=step(1, 2, 4, 4, 1, 6), visible=True, compare="exact",
             explain="W = 4, position 6 goes to slot 2; held keys are positions 3, 4, 5, 6 (slots 3, 0, 1, 2)."),
        Case("first-token", args=step(2, 2, 5, 4, 1, 0), compare="exact",
             explain="The very first token: slot 0, one key held."),
        Case("chunk-crossing-the-end", args=step(2, 3, 5, 4, 4, 3), compare="exact",
             explain="W = 5, a chunk for positions 3..6 lands in slots 3, 4, 0, 1."),
        Case("prompt-longer-than-window", args=step(1, 2, 3, 4, 7, 0, torch.float64), compare="exact",
             explain="A 7-token prompt into W = 3: only positions 4, 5, 6 survive, in slots 1, 2, 0."),
        Case("exactly-full", args=step(2, 2, 6, 4, 6, 0), compare="exact",
             explain="A prompt exactly W = 6 long: all 6 keys held, the newest included."),
        Case("long-after-many-wraps", args=step(1, 2, 8, 4, 1, 1000, torch.float64), compare="exact",
             explain="Position 1000 with W = 8 (float64): slot 0, held positions 993..1000."),
        Case("window-of-one", args=step(2, 1, 1, 4, 3, 5), compare="exact",
             explain="W = 1: the buffer keeps only the newest key."),
        Case("large-long-generation", args=step(2, 8, 512, 64, 64, 3000), compare="exact",
             explain="A 64-token chunk at position 3000 into a 512-slot window with 8 heads of 64."),
    ]


def expected(case: Case):
    """The engine's SlidingWindowCache (engine.core.kv_cache) holding the given buffer, after one update.

    The held keys come from the cache's own chronological read-out after ``advance``: it is what the
    engine attends over when the next chunk arrives.
    """
    from engine.core.config import ModelConfig
    from engine.core.kv_cache import SlidingWindowCache

    ring, new, pos = case.args
    b, h, w, d = ring.shape
    t = new.shape[2]
    config = ModelConfig(n_layers=1, n_heads=h, n_kv_heads=h, d_model=h * d, max_seq_len=pos + t)
    cache = SlidingWindowCache(config, b, pos + t, ring.dtype, "cpu", window=w)
    cache.buffer[0, 0].copy_(ring)
    cache.buffer[0, 1].copy_(ring)  # values ride along unchecked; the exercise is about keys
    cache.seq_len = pos
    cache.update(0, new, new)
    cache.advance(t)
    held_keys, _ = cache._chronological(0)
    return cache.buffer[0, 0].clone(), held_keys.clone()


def engine(case: Case):
    """The engine's update as timed on the large case: warmed up by the grader, but it still includes
    loading your buffers into a fresh engine cache (one copy each), so read it as an upper bound."""
    return expected(case)
