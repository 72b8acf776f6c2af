"""Serving many requests at once: static batching vs continuous (iteration-level) batching.

``static_batch_generate``
    The classic way: take ``batch_size`` requests, left-pad their prompts to one length, and decode
    until the *longest* of them is done. Short answers sit idle in the batch, and a contiguous
    cache reserves prompt + max_new_tokens for every row up front.

``ContinuousBatcher``
    The scheduler runs one model iteration at a time and rebuilds the batch every iteration
    (Orca/vLLM style): a finished request leaves at once, a waiting one joins as soon as KV blocks
    are free, long prompts are prefilled in chunks of at most ``prefill_chunk`` tokens per
    iteration (so decodes are not stalled behind them), and when the paged pool runs dry the newest
    request is *preempted by recompute*: its blocks are freed and it re-enters the queue with its
    generated tokens appended to its prompt, to be prefilled again later.

Both produce, per request, the tokens, the time to first token (TTFT) and the time per output
token (TPOT). Each request samples with its own ``SamplingParams`` and its own seeded generator, so
its tokens do not depend on which other requests happened to share its batch.
"""
from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import torch

from engine.core.generate import check_request
from engine.core.kv_cache import make_cache
from engine.core.model import Transformer
from engine.serving.paged_kv_cache import PagedKVCache, PoolExhausted
from engine.core.sampling import SamplingParams, make_generator, next_token

GREEDY = SamplingParams(temperature=0.0)


@dataclass(frozen=True)
class GenerationRequest:
    prompt: tuple[int, ...]
    max_new_tokens: int
    sampling: SamplingParams = GREEDY
    stop_token_ids: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "prompt", tuple(int(t) for t in self.prompt))
        object.__setattr__(self, "stop_token_ids", tuple(int(t) for t in self.stop_token_ids))
        if not self.prompt:
            raise ValueError("prompt: the prompt is empty; give at least one token")


@dataclass
class RequestOutput:
    request_id: int
    prompt_tokens: int
    tokens: list[int]
    finish_reason: str  # "stop_token", "max_new_tokens" or "cancelled"
    ttft_s: float | None  # arrival -> first token (None if cancelled before one)
    tpot_s: float  # mean seconds per token after the first (0.0 with fewer than 2 tokens)
    latency_s: float  # arrival -> last token
    preemptions: int = 0
    cached_prompt_tokens: int = 0  # prompt tokens whose K/V came from the prefix cache


@dataclass
class _Live:
    """A request inside a batcher, with everything that changes while it runs."""

    id: int
    request: GenerationRequest
    arrival: float
    generator: torch.Generator | None
    tokens: list[int] = field(default_factory=list)  # prompt + generated, grown in place
    num_computed: int = 0  # tokens whose K/V are in the cache
    first_token_at: float | None = None
    finished_at: float | None = None
    finish_reason: str = ""
    preemptions: int = 0
    cached_prompt_tokens: int = 0

    def __post_init__(self) -> None:
        self.tokens = list(self.request.prompt)

    @property
    def generated(self) -> list[int]:
        return self.tokens[len(self.request.prompt) :]

    @property
    def n_generated(self) -> int:
        return len(self.tokens) - len(self.request.prompt)

    @property
    def pending(self) -> int:
        return len(self.tokens) - self.num_computed

    def accept(self, token: int, now: float) -> bool:
        """Record a new token; returns True when the request is finished."""
        self.tokens.append(token)
        if self.first_token_at is None:
            self.first_token_at = now
        stops = self.request.stop_token_ids + self.request.sampling.stop_token_ids
        if token in stops:
            self.finish_reason = "stop_token"
        elif self.n_generated >= self.request.max_new_tokens:
            self.finish_reason = "max_new_tokens"
        else:
            return False
        self.finished_at = now
        return True

    def output(self) -> RequestOutput:
        end = self.finished_at if self.finished_at is not None else self.arrival
        first = self.first_token_at
        n = self.n_generated
        return RequestOutput(
            request_id=self.id,
            prompt_tokens=len(self.request.prompt),
            tokens=self.generated,
            finish_reason=self.finish_reason,
            ttft_s=None if first is None else first - self.arrival,
            tpot_s=(end - first) / (n - 1) if first is not None and n > 1 else 0.0,
            latency_s=end - self.arrival,
            preemptions=self.preemptions,
            cached_prompt_tokens=self.cached_prompt_tokens,
        )


def choose_token(logits: torch.Tensor, live: _Live) -> int:
    """The next id for one request from its last-position logits ``[1, V]``, by the rule ``engine.generate`` uses."""
    return int(next_token(logits, live.request.sampling, live.tokens, live.generator))


def _check(model: Transformer, request: GenerationRequest) -> None:
    check_request(model, len(request.prompt), request.max_new_tokens, "static")


# ---------------------------------------------------------------------------------- static batching


@torch.inference_mode()
def static_batch_generate(
    model: Transformer,
    requests: Sequence[GenerationRequest],
    batch_size: int,
    clock: Callable[[], float] = time.perf_counter,
) -> list[RequestOutput]:
    """Serve ``requests`` in fixed groups of ``batch_size``, each decoded until its longest member finishes.

    Every request is taken to arrive when the call starts, so later groups' TTFT includes their wait.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    for request in requests:
        _check(model, request)
    arrival = clock()
    lives = [_Live(i, r, arrival, make_generator(r.sampling, model.device)) for i, r in enumerate(requests)]
    for start in range(0, len(lives), batch_size):
        _run_static_group(model, lives[start : start + batch_size], clock)
    return [live.output() for live in lives]


class PaddedBatch:
    """Prompts of different lengths decoded as one batch: left padding, per-row positions, a growing mask.

    Row b's prompt is right-aligned in a ``[B, W]`` block (W = the longest prompt): its first real
    token sits at column ``W - len_b`` but gets RoPE position 0, and the padded columns are masked
    out of every attention. Each ``step`` appends one column to every row. The contiguous cache
    reserves W + ``max_new_tokens`` positions for every row up front.
    """

    def __init__(self, model: Transformer, prompts: Sequence[Sequence[int]], max_new_tokens: int):
        self.model = model
        self.lengths = [len(p) for p in prompts]
        self.width = max(self.lengths)
        batch, device = len(prompts), model.device
        self.ids = torch.zeros((batch, self.width), dtype=torch.long)
        self.mask = torch.zeros((batch, self.width + max_new_tokens), dtype=torch.bool)  # True = a real token
        for row, prompt in enumerate(prompts):
            self.ids[row, self.width - self.lengths[row] :] = torch.tensor(list(prompt))
            self.mask[row, self.width - self.lengths[row] : self.width] = True
        self.mask = self.mask.to(device)
        self.cache = make_cache("static", model.config, batch, self.width + max_new_tokens, dtype=model.dtype, device=device)
        self.steps = 0

    def prefill(self) -> torch.Tensor:
        """Run every prompt; returns each row's last-position logits ``[B, V]``."""
        pad = torch.tensor([self.width - n for n in self.lengths])[:, None]
        positions = (torch.arange(self.width)[None, :] - pad).clamp(min=0)
        device = self.model.device
        return self.model(
            self.ids.to(device), positions=positions.to(device), cache=self.cache,
            key_padding_mask=self.mask[:, : self.width], last_token_only=True,
        )[:, -1]

    def step(self, next_ids: torch.Tensor) -> torch.Tensor:
        """Feed one new token per row (``[B]``); returns the next logits ``[B, V]``."""
        column = self.width + self.steps
        self.mask[:, column] = True
        positions = torch.tensor([[n + self.steps] for n in self.lengths], device=self.model.device)
        self.steps += 1
        return self.model(
            next_ids.reshape(-1, 1).to(self.model.device), positions=positions, cache=self.cache,
            key_padding_mask=self.mask[:, : column + 1],
        )[:, -1]


def _run_static_group(model: Transformer, group: list[_Live], clock: Callable[[], float]) -> None:
    steps = max(live.request.max_new_tokens for live in group)
    batch = PaddedBatch(model, [live.request.prompt for live in group], steps)
    logits = batch.prefill()
    done = [False] * len(group)
    for _ in range(steps):
        next_ids = torch.zeros(len(group), dtype=torch.long)
        for row, live in enumerate(group):
            if done[row]:
                continue  # a finished row still occupies its slot and is computed: the cost of static batching
            token = choose_token(logits[row : row + 1], live)
            next_ids[row] = token
            done[row] = live.accept(token, clock())
        if all(done):
            return
        logits = batch.step(next_ids)


# ------------------------------------------------------------------------------ continuous batching


@dataclass
class StepSample:
    """Memory after one scheduler iteration (for waste and fragmentation curves)."""

    running: int
    waiting: int
    tokens_stored: int
    blocks_used: int
    live_lengths: list[int]  # tokens held per running request


class ContinuousBatcher:
    """Iteration-level scheduler over a paged KV cache.

    ``num_blocks`` x ``block_size`` tokens is the whole KV memory; ``max_num_seqs`` caps the batch;
    ``prefill_chunk`` is the most prompt tokens prefilled per iteration (chunked prefill).
    """

    def __init__(
        self,
        model: Transformer,
        num_blocks: int,
        block_size: int = 16,
        max_num_seqs: int = 32,
        prefill_chunk: int = 256,
        enable_prefix_cache: bool = True,
        clock: Callable[[], float] = time.perf_counter,
        record_memory: bool = False,
    ):
        for name, value in (("max_num_seqs", max_num_seqs), ("prefill_chunk", prefill_chunk)):
            if value < 1:
                raise ValueError(f"{name} must be at least 1, got {value}")
        self.model, self.clock = model, clock
        self.max_num_seqs, self.prefill_chunk = max_num_seqs, prefill_chunk
        self.cache = PagedKVCache(
            model.config, num_blocks, block_size, dtype=model.dtype, device=model.device, enable_prefix_cache=enable_prefix_cache
        )
        self.waiting: deque[_Live] = deque()
        self._followers: dict[int, list[_Live]] = {}  # first sample's id -> samples that will fork from it
        self.running: list[_Live] = []  # in admission order: the newest is preempted first
        self.done: dict[int, _Live] = {}
        self._next_id = 0
        self.iterations = 0
        self.forward_passes = 0
        self.preemptions = 0
        self.peak_blocks_used = 0
        self.prefill_tokens_computed = 0  # prompt (and recomputed) tokens run through the model
        self.record_memory = record_memory
        self.memory_trace: list[StepSample] = []

    # ---- request API -----------------------------------------------------------------------

    def submit(self, request: GenerationRequest) -> int:
        """Queue a request; returns its id. Rejects one that could never fit in the pool."""
        self._validate(request)
        live = self._new_live(request)
        self.waiting.append(live)
        return live.id

    def submit_parallel(self, request: GenerationRequest, n: int) -> list[int]:
        """``n`` independent samples of one prompt (seeds ``seed, seed + 1, ...`` when seeded); returns their ids.

        The prompt is prefilled once. When it is done, the other samples *fork* the first one's
        block table (sharing every block, the partly filled last one included) and take their first
        token from the same logits; each sample's first write to the shared last block copies it
        (copy-on-write), full blocks stay shared until the samples finish.
        """
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 64:
            raise ValueError(f"n (samples per prompt) must be an integer between 1 and 64, got {n!r}")
        self._validate(request)
        seed = request.sampling.seed
        lives = [
            self._new_live(request if seed is None else replace(request, sampling=replace(request.sampling, seed=seed + i)))
            for i in range(n)
        ]
        self.waiting.append(lives[0])
        if n > 1:
            self._followers[lives[0].id] = lives[1:]
        return [live.id for live in lives]

    def _new_live(self, request: GenerationRequest) -> _Live:
        live = _Live(self._next_id, request, self.clock(), make_generator(request.sampling, self.model.device))
        self._next_id += 1
        return live

    def _validate(self, request: GenerationRequest) -> None:
        _check(self.model, request)
        need = self.cache.blocks_for(len(request.prompt) + request.max_new_tokens)
        if need > self.cache.num_blocks:
            capacity = self.cache.num_blocks * self.cache.block_size
            raise ValueError(
                f"max_new_tokens: prompt ({len(request.prompt)}) + max_new_tokens ({request.max_new_tokens}) "
                f"needs {need} KV blocks but the whole pool has {self.cache.num_blocks} "
                f"({capacity} tokens); the two together must be at most {capacity}"
            )

    def cancel(self, request_id: int) -> bool:
        """Stop a request now and free its blocks; False if it already finished (or never existed)."""
        for followers in self._followers.values():
            for live in followers:
                if live.id == request_id:
                    followers.remove(live)
                    self._mark_cancelled(live)
                    return True
        for queue in (self.waiting, self.running):
            for live in queue:
                if live.id == request_id:
                    queue.remove(live)
                    if live.id in self.cache.sequences:
                        self.cache.free(live.id)
                    self._mark_cancelled(live)
                    # Samples waiting to fork from it now prefill the prompt themselves.
                    self.waiting.extend(self._followers.pop(live.id, []))
                    return True
        return False

    def _mark_cancelled(self, live: _Live) -> None:
        live.finish_reason, live.finished_at = "cancelled", self.clock()
        self.done[live.id] = live

    @property
    def has_unfinished(self) -> bool:
        return bool(self.waiting or self.running)

    def outputs(self) -> list[RequestOutput]:
        return [self.done[i].output() for i in sorted(self.done)]

    def run(self) -> list[RequestOutput]:
        """Iterate until every submitted request is finished; outputs in submission order."""
        while self.has_unfinished:
            self.step()
        return self.outputs()

    # ---- one iteration ---------------------------------------------------------------------

    @torch.inference_mode()
    def step(self) -> list[tuple[int, int]]:
        """Schedule, run the model once per row shape, sample. Returns the (request id, token) pairs made."""
        rows = self._schedule()
        self.peak_blocks_used = max(self.peak_blocks_used, self.cache.allocator.num_used)
        if not rows and self.has_unfinished:
            raise RuntimeError("scheduler made no progress: no request could get KV blocks")
        made: list[tuple[int, int]] = []
        decodes = [(live, n) for live, n in rows if n == 1]
        prefills = [(live, n) for live, n in rows if n > 1]
        for group in (decodes, prefills):  # one forward each: decode rows are not padded to a chunk's width
            if group:
                made += self._forward(group)
        self.iterations += 1
        if self.record_memory:
            stats = self.cache.memory()
            self.memory_trace.append(StepSample(
                len(self.running), len(self.waiting), stats.tokens_stored - stats.blocks_cached_only * self.cache.block_size,
                stats.blocks_used - stats.blocks_cached_only, [self.cache.length(x.id) for x in self.running],
            ))
        return made

    def _schedule(self) -> list[tuple[_Live, int]]:
        rows: list[tuple[_Live, int]] = []
        budget = self.prefill_chunk
        # 1. Running requests first, oldest first: decodes (1 pending token) then prefill chunks.
        for live in sorted(self.running, key=lambda x: x.pending > 1):
            if live not in self.running:
                continue  # preempted while making room for an older request
            n = 1 if live.pending == 1 else min(live.pending, budget)
            if n == 0:
                continue
            if self._reserve_or_preempt(live, n, rows):
                rows.append((live, n))
                if n > 1 or live.pending > 1:
                    budget -= n
        # 2. Admit waiting requests while the chunk budget, the batch cap and the free blocks allow.
        while self.waiting and budget > 0 and len(self.running) < self.max_num_seqs:
            live = self.waiting[0]
            cached = self.cache.add_sequence(live.id, live.tokens)
            live.num_computed = cached
            n = min(live.pending, budget)
            try:
                self.cache.reserve(live.id, live.tokens[cached : cached + n])
            except PoolExhausted:
                self.cache.free(live.id)
                break  # never preempt a running request to admit a new one
            if live.preemptions == 0:
                live.cached_prompt_tokens = cached
            self.waiting.popleft()
            self.running.append(live)
            rows.append((live, n))
            budget -= n
        return rows

    def _reserve_or_preempt(self, live: _Live, n: int, rows: list[tuple[_Live, int]]) -> bool:
        """Reserve ``n`` slots for ``live``, preempting the newest running requests until they fit."""
        while True:
            try:
                self.cache.reserve(live.id, live.tokens[live.num_computed : live.num_computed + n])
                return True
            except PoolExhausted:
                victim = self.running[-1]
                self._preempt(victim, rows)
                if victim is live:
                    return False

    def _preempt(self, victim: _Live, rows: list[tuple[_Live, int]]) -> None:
        """Recompute-style preemption: drop the victim's K/V; it will be prefilled again from its tokens."""
        self.cache.free(victim.id)
        victim.num_computed = 0
        victim.preemptions += 1
        self.preemptions += 1
        self.running.remove(victim)
        self.waiting.appendleft(victim)
        rows[:] = [(live, n) for live, n in rows if live is not victim]

    def _forward(self, group: list[tuple[_Live, int]]) -> list[tuple[int, int]]:
        step, positions, mask = self.cache.plan_step([(live.id, n) for live, n in group])
        width = positions.shape[1]
        ids = torch.zeros((len(group), width), dtype=torch.long)
        for row, (live, n) in enumerate(group):
            ids[row, width - n :] = torch.tensor(live.tokens[live.num_computed : live.num_computed + n])
        padding = None if bool(mask.all()) else mask
        logits = self.model(
            ids.to(self.model.device), positions=positions, cache=step, key_padding_mask=padding, last_token_only=True
        )[:, -1]
        self.forward_passes += 1
        # Everything fed except a request's newest sampled token is prompt work (or its recompute).
        self.prefill_tokens_computed += sum(n for live, n in group if not (n == 1 and live.n_generated > 0))
        made = []
        now = self.clock()
        for row, (live, n) in enumerate(group):
            live.num_computed += n
            self.cache.mark_computed(live.id)
            if live.pending:
                continue  # more prompt chunks to go
            samples = [live]
            if live.n_generated == 0:  # the prompt is complete for the first time: fork the other samples now
                for follower in self._followers.pop(live.id, []):
                    self.cache.fork(live.id, follower.id)
                    follower.num_computed = follower.cached_prompt_tokens = live.num_computed
                    self.running.append(follower)
                    samples.append(follower)
            for sample_live in samples:
                token = choose_token(logits[row : row + 1], sample_live)
                made.append((sample_live.id, token))
                if sample_live.accept(token, now):
                    self.cache.free(sample_live.id)
                    self.running.remove(sample_live)
                    self.done[sample_live.id] = sample_live
        return made


def serve(
    model: Transformer,
    requests: Sequence[GenerationRequest],
    num_blocks: int,
    block_size: int = 16,
    max_num_seqs: int = 32,
    prefill_chunk: int = 256,
    enable_prefix_cache: bool = True,
) -> tuple[list[RequestOutput], ContinuousBatcher]:
    """Submit every request at once to a fresh ContinuousBatcher and run it dry."""
    batcher = ContinuousBatcher(model, num_blocks, block_size, max_num_seqs, prefill_chunk, enable_prefix_cache)
    for request in requests:
        batcher.submit(request)
    return batcher.run(), batcher
