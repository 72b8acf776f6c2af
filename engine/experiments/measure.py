"""The one timer, and the decode-step helpers that the demos and the benchmarks share, so both measure the same way.

Rules they follow: warm-up runs are excluded, the median of several runs is reported (the
machines are shared, and the median shrugs off a neighbour's burst), and GPU work is timed with
CUDA events and synchronised before a clock is read.
"""
from __future__ import annotations

import contextlib
import statistics
import time
from collections.abc import Callable, Iterator

import torch

from engine.core.kv_cache import make_cache
from engine.core.model import Transformer


@contextlib.contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """Run with ``n`` intra-op threads, then restore the setting."""
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def one_thread() -> contextlib.AbstractContextManager[None]:
    """Time with one intra-op thread, then restore the setting.

    On a shared 2-core machine a second thread mostly adds contention: small forward passes
    measured 10-40x slower and far noisier with two. Used around timed runs only (benchmarks and
    the demos that time things; a Celery prefork worker runs one task per process).
    """
    return torch_threads(1)


def time_once(fn: Callable[[], object], device: torch.device | str = "cpu") -> float:
    """Seconds one call of ``fn()`` takes; on CUDA measured with events around the queued work."""
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()  # earlier queued work must not be billed to this call
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        return start.elapsed_time(end) / 1000
    start_s = time.perf_counter()
    fn()
    return time.perf_counter() - start_s


def median_time(fn: Callable[[], object], reps: int = 5, warmup: int = 1, device: torch.device | str = "cpu") -> float:
    """Median wall time of ``fn()`` in seconds over ``reps`` runs after ``warmup`` untimed ones."""
    for _ in range(warmup):
        fn()
    return statistics.median(time_once(fn, device) for _ in range(max(1, reps)))


def copy_bandwidth(nbytes: int = 256 * 2**20, reps: int = 5, device: torch.device | str = "cpu") -> float:
    """Memory bandwidth in bytes/s from a large tensor copy, counting the read and the write (STREAM "copy").

    256 MiB is far larger than any CPU cache, so this is DRAM speed: the ceiling for a decode
    step that must stream every weight once.
    """
    src = torch.empty(nbytes // 4, dtype=torch.float32, device=device).fill_(1.0)
    dst = torch.empty_like(src)
    seconds = median_time(lambda: dst.copy_(src), reps=reps, warmup=2, device=device)
    return 2 * nbytes / seconds


def weight_bytes_read_per_token(model: Transformer) -> int:
    """Bytes of distinct weights a decode step reads (a tied embedding matrix counts once, as lm_head).

    Weights are the parameters plus the GGUF blocks a ``weights="gguf"`` model keeps as buffers;
    the RoPE tables are buffers too, but a step reads one row of them, so they are left out.
    """
    seen, total = set(), 0
    weights = [t for name, t in model.named_buffers() if not name.startswith("rope.")]
    for p in [*model.parameters(), *weights]:
        if p.data_ptr() not in seen:
            seen.add(p.data_ptr())
            total += p.numel() * p.element_size()
    return total


def filler_ids(n: int, vocab_size: int, seed: int = 0) -> torch.Tensor:
    """``[1, n]`` token ids for timing runs: the content does not change the cost of a forward pass."""
    generator = torch.Generator().manual_seed(seed)
    return torch.randint(100, vocab_size, (1, n), generator=generator)


def interleaved_median_times(
    fns: dict[str, Callable[[], object]], reps: int = 5, warmup: int = 1, device: torch.device | str = "cpu"
) -> dict[str, float]:
    """Median seconds of each function, timed round-robin (a, b, c, a, b, c, ...).

    On a shared machine a neighbour's burst then hits every variant alike instead of
    whichever happened to run during it, so ratios between variants stay meaningful.
    """
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(max(1, reps)):
        for name, fn in fns.items():
            times[name].append(time_once(fn, device))
    return {name: statistics.median(values) for name, values in times.items()}


class DecodeStepper:
    """A model with ``context_len`` tokens already prefilled; each ``step()`` decodes one more token.

    With ``cache="none"`` a step is what generation without a cache does instead: a forward
    pass over all ``context_len + 1`` tokens. Steps append to the cache, so after n steps the
    context is n tokens longer (room for ``max_steps`` is reserved).

    ``fill="random"`` writes random keys and values into the cache instead of running the prefill:
    a decode step reads the cache the same way whatever it holds, so timings are unchanged and the
    prefill's cost (most of a short demo's) is skipped. ``fill="prefill"`` runs the model.
    """

    def __init__(
        self,
        model: Transformer,
        context_len: int,
        cache: str = "static",
        batch: int = 1,
        ids: torch.Tensor | None = None,
        max_steps: int = 32,
        fill: str = "prefill",
    ):
        if fill not in ("prefill", "random"):
            raise ValueError(f"fill must be 'prefill' or 'random', got {fill!r}")
        self.model, self.cache_kind = model, cache
        device = model.device
        if ids is None:
            ids = filler_ids(context_len + 1, model.config.vocab_size)
        self.ids = ids[:, : context_len + 1].expand(batch, -1).to(device)
        self.token = self.ids[:, context_len : context_len + 1]
        self.cache = None
        if cache != "none":
            self.cache = make_cache(cache, model.config, batch, context_len + 1 + max_steps, dtype=model.dtype, device=device)
            with torch.inference_mode():
                if fill == "prefill":
                    model(self.ids[:, :context_len], cache=self.cache)
                else:
                    _fill_with_noise(self.cache, model, batch, context_len)

    @torch.inference_mode()
    def step(self) -> torch.Tensor:
        if self.cache is None:
            return self.model(self.ids, last_token_only=True)
        return self.model(self.token, cache=self.cache)


def _fill_with_noise(cache, model: Transformer, batch: int, tokens: int) -> None:
    """Store ``tokens`` positions of random keys/values in every layer, as a prefill would have."""
    config = model.config
    generator = torch.Generator().manual_seed(0)
    for layer in range(config.n_layers):
        k, v = (
            torch.randn(batch, config.n_kv_heads, tokens, config.head_dim, generator=generator).to(model.device, model.dtype)
            for _ in range(2)
        )
        cache.update(layer, k, v)
    cache.advance(tokens)
