"""Megatron-style tensor parallelism for the real SmolLM2, across processes with torch.distributed (gloo).

Every rank holds a slice of every layer and the same activations ``x`` ``[B, T, C]``:

* attention: **column-parallel** Q/K/V (the rank's query heads and the KV heads those heads read),
  attention over its own heads, then **row-parallel** O: ``o_proj``'s input columns for those heads.
  Each rank's output is a partial sum of the full ``o_proj(y)``;
* MLP: column-parallel gate/up (a ``d_ff / W`` slice of the hidden units), SiLU and the product per
  unit (no communication needed: each unit lives on one rank), row-parallel down: again a partial sum.

One all-reduce (sum) after each of the two sublayers gives every rank the full result: **two
all-reduces per layer**, each of ``B * T * C`` activations, whatever W is. The embedding, the norms
and the LM head are replicated, so every rank ends with the same logits.

Heads that do not divide: SmolLM2 has 9 query heads sharing 3 KV heads (groups of 3). Two ranks
take query heads 0-4 and 5-8; KV head 1 serves query heads 3-5, which straddle the split, so both
ranks hold a copy of it. That replication is what serving engines do when TP exceeds the KV heads.

``run_tensor_parallel`` starts the W ranks as fresh ``python -m engine.experiments.tensor_parallel`` processes
(not ``multiprocessing``: a Celery prefork worker is a daemon process and may not have children of
its own), waits for them with a deadline, and kills them on any error or timeout.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from engine.core.attention import attention
from engine.core.config import ModelConfig
from engine.core.model import RotaryEmbedding, apply_rope

Reduce = Callable[[torch.Tensor], torch.Tensor]  # sums a tensor over all ranks (in place), returns it


# ------------------------------------------------------------------------------------ the split


@dataclass(frozen=True)
class ShardPlan:
    rank: int
    world: int
    q_heads: range  # query heads this rank computes
    kv_heads: range  # KV heads those query heads read (may overlap another rank's)
    ff: range  # hidden units of the MLP held here


def shard_plan(config: ModelConfig, rank: int, world: int) -> ShardPlan:
    """Contiguous, balanced split of the query heads and MLP units; KV heads follow their query heads."""
    if not 1 <= world <= config.n_heads:
        raise ValueError(f"world must be between 1 and the model's {config.n_heads} query heads, got {world}")
    if not 0 <= rank < world:
        raise ValueError(f"rank must be between 0 and {world - 1}, got {rank}")
    q = range(rank * config.n_heads // world, (rank + 1) * config.n_heads // world)
    group = config.group_size
    kv = range(q.start // group, (q.stop - 1) // group + 1)
    ff = range(rank * config.d_ff // world, (rank + 1) * config.d_ff // world)
    return ShardPlan(rank, world, q, kv, ff)


def _rows(weight: torch.Tensor, heads: range, head_dim: int) -> torch.Tensor:
    return weight[heads.start * head_dim : heads.stop * head_dim].contiguous()


class ShardedLayer:
    """One decoder layer's slice of the weights (plain tensors: this is inference only)."""

    def __init__(self, state: dict[str, torch.Tensor], i: int, config: ModelConfig, plan: ShardPlan):
        p, d = f"layers.{i}.", config.head_dim
        self.attn_norm, self.mlp_norm = state[p + "attn_norm.weight"], state[p + "mlp_norm.weight"]
        # Column-parallel: output rows of Q, K, V for this rank's heads, fused into one matmul.
        self.qkv = torch.cat([
            _rows(state[p + "attn.q_proj.weight"], plan.q_heads, d),
            _rows(state[p + "attn.k_proj.weight"], plan.kv_heads, d),
            _rows(state[p + "attn.v_proj.weight"], plan.kv_heads, d),
        ])
        # Row-parallel: o_proj's input columns that read this rank's heads.
        self.o = state[p + "attn.o_proj.weight"][:, plan.q_heads.start * d : plan.q_heads.stop * d].contiguous()
        ff = slice(plan.ff.start, plan.ff.stop)
        self.gate_up = torch.cat([state[p + "mlp.gate_proj.weight"][ff], state[p + "mlp.up_proj.weight"][ff]])
        self.down = state[p + "mlp.down_proj.weight"][:, ff].contiguous()


class ShardedKVCache:
    """Keys/values of this rank's KV heads only: ``[layers, 2, B, Hkv_local, S_max, D]``."""

    def __init__(self, config: ModelConfig, plan: ShardPlan, batch: int, max_len: int):
        self.buffer = torch.zeros((config.n_layers, 2, batch, len(plan.kv_heads), max_len, config.head_dim))
        self.seq_len = 0

    def update(self, layer: int, k: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        end = self.seq_len + k.shape[2]
        self.buffer[layer, 0, :, :, self.seq_len : end] = k
        self.buffer[layer, 1, :, :, self.seq_len : end] = v
        return self.buffer[layer, 0, :, :, :end], self.buffer[layer, 1, :, :, :end]


class TensorParallelModel:
    """This rank's slice of the model; ``forward`` needs every other rank to run its own in step."""

    def __init__(self, config: ModelConfig, state: dict[str, torch.Tensor], plan: ShardPlan):
        self.config, self.plan = config, plan
        self.layers = [ShardedLayer(state, i, config, plan) for i in range(config.n_layers)]
        self.embed, self.norm = state["embed.weight"], state["norm.weight"]
        self.lm_head = state.get("lm_head.weight", self.embed) if not config.tie_embeddings else self.embed
        self.rope = RotaryEmbedding(config.head_dim, config.max_seq_len, config.rope_theta)
        self.n_q, self.n_kv = len(plan.q_heads), len(plan.kv_heads)
        # Which local KV head each local query head reads (global kv = global q // group size).
        self.kv_of_q = torch.tensor([h // config.group_size - plan.kv_heads.start for h in plan.q_heads])

    def _norm(self, x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        return F.rms_norm(x, weight.shape, weight, self.config.norm_eps)

    def attention_partial(
        self, layer: ShardedLayer, i: int, h: torch.Tensor, cache: ShardedKVCache, cos: torch.Tensor, sin: torch.Tensor
    ) -> torch.Tensor:
        B, T, _ = h.shape
        d = self.config.head_dim
        qk, v = (h @ layer.qkv.T).split(((self.n_q + self.n_kv) * d, self.n_kv * d), dim=-1)
        qk = apply_rope(qk.view(B, T, self.n_q + self.n_kv, d).transpose(1, 2), cos, sin)
        q, k = qk.split((self.n_q, self.n_kv), dim=1)  # [B, Hq_local, T, D], [B, Hkv_local, T, D]
        v = v.view(B, T, self.n_kv, d).transpose(1, 2)
        k, v = cache.update(i, k, v)  # [B, Hkv_local, S, D]
        # The local query heads need not be whole GQA groups, so give each its KV head explicitly.
        k, v = k.index_select(1, self.kv_of_q), v.index_select(1, self.kv_of_q)
        y = attention(q, k, v, causal=T > 1)  # one decode query sees the whole cache: no mask needed
        return y.transpose(1, 2).reshape(B, T, self.n_q * d) @ layer.o.T  # [B, T, C]: a partial sum

    def mlp_partial(self, layer: ShardedLayer, h: torch.Tensor) -> torch.Tensor:
        gate, up = (h @ layer.gate_up.T).chunk(2, dim=-1)  # [B, T, d_ff / W] each
        return (F.silu(gate) * up) @ layer.down.T  # [B, T, C]: a partial sum

    @torch.inference_mode()
    def forward(self, ids: torch.Tensor, cache: ShardedKVCache, reduce: Reduce) -> torch.Tensor:
        """Logits of the last position ``[B, V]`` for new tokens ``ids`` ``[B, T]``; appends to ``cache``."""
        T = ids.shape[1]
        cos, sin = self.rope.tables(cache.seq_len, T, None)
        x = F.embedding(ids, self.embed)  # [B, T, C], replicated
        for i, layer in enumerate(self.layers):
            x = x + reduce(self.attention_partial(layer, i, self._norm(x, layer.attn_norm), cache, cos, sin))
            x = x + reduce(self.mlp_partial(layer, self._norm(x, layer.mlp_norm)))
        cache.seq_len += T
        return self._norm(x[:, -1], self.norm) @ self.lm_head.T


# ------------------------------------------------------------------------------- one rank's job


@dataclass
class ReduceCounter:
    """Wraps an all-reduce and counts what it moves: calls and payload bytes (the tensor reduced)."""

    reduce: Reduce
    calls: int = 0
    bytes: int = 0
    seconds: float = 0.0  # wall time inside the all-reduce: waiting for the slowest rank included

    def __call__(self, tensor: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        self.bytes += tensor.numel() * tensor.element_size()
        start = time.perf_counter()
        out = self.reduce(tensor)
        self.seconds += time.perf_counter() - start
        return out


def greedy_run(model: TensorParallelModel, prompt: Sequence[int], steps: int, reduce: Reduce,
               report: Callable[[int, str], None] | None = None) -> dict:
    """Prefill, then ``steps`` greedy decode steps; logits, tokens, step times and all-reduce traffic."""
    counter = ReduceCounter(reduce)
    cache = ShardedKVCache(model.config, model.plan, 1, len(prompt) + steps)
    start = time.perf_counter()
    logits = [model.forward(torch.tensor([list(prompt)]), cache, counter)[0]]
    prefill_s = time.perf_counter() - start
    prefill_calls, prefill_bytes, prefill_reduce_s = counter.calls, counter.bytes, counter.seconds
    tokens, step_s = [int(logits[0].argmax())], []
    for n in range(steps):
        start = time.perf_counter()
        logits.append(model.forward(torch.tensor([[tokens[-1]]]), cache, counter)[0])
        step_s.append(time.perf_counter() - start)
        tokens.append(int(logits[-1].argmax()))
        if report:
            report(n + 1, f"decode step {n + 1}/{steps}")
    return {
        "tokens": tokens[:-1] if steps else tokens,  # the ids that were fed back (the last choice is not run)
        "logits": torch.stack(logits),  # [1 + steps, V]: after the prompt, then after each fed token
        "prefill_s": prefill_s,
        "step_s": step_s,
        "prefill_all_reduces": prefill_calls,
        "prefill_bytes": prefill_bytes,
        "decode_all_reduces": counter.calls - prefill_calls,
        "decode_bytes": counter.bytes - prefill_bytes,
        "decode_all_reduce_s": counter.seconds - prefill_reduce_s,
    }


def _gloo_sum(tensor: torch.Tensor) -> torch.Tensor:
    import torch.distributed as dist

    dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    return tensor


def worker_main(argv: Sequence[str] | None = None) -> None:
    """One rank: ``python -m engine.experiments.tensor_parallel --rank R --world W --port P --job DIR``."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rank", type=int, required=True)
    parser.add_argument("--world", type=int, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--job", type=Path, required=True)
    args = parser.parse_args(argv)

    import torch.distributed as dist
    from datetime import timedelta

    from engine.io.gguf import load_gguf_cached

    job = json.loads((args.job / "job.json").read_text())
    torch.set_num_threads(job["threads_per_rank"])
    progress = args.job / "progress.json"

    def report(step: int, message: str) -> None:
        if args.rank == 0:  # written whole then renamed, so the parent never reads half a line
            (args.job / "progress.tmp").write_text(json.dumps({"step": step, "message": message}))
            os.replace(args.job / "progress.tmp", progress)

    dist.init_process_group(
        "gloo", init_method=f"tcp://127.0.0.1:{args.port}", rank=args.rank, world_size=args.world,
        timeout=timedelta(seconds=job["timeout_s"]),
    )
    try:
        config, state = load_gguf_cached(job["gguf"])
        model = TensorParallelModel(config, state, shard_plan(config, args.rank, args.world))
        del state  # the full matrices this rank does not hold are freed; only its slices stay referenced
        report(0, "weights sharded")
        greedy_run(model, job["prompt"][:4], 1, _gloo_sum)  # warm-up: first calls allocate and connect
        result = greedy_run(model, job["prompt"], job["steps"], _gloo_sum, report)
        if args.rank == 0:
            torch.save(result, args.job / "result.pt")
        dist.barrier()
    finally:
        dist.destroy_process_group()


# ---------------------------------------------------------------------------- the launcher


class TensorParallelError(RuntimeError):
    """A rank failed or the run timed out; the message carries the rank's last output."""


def free_port() -> int:
    """A TCP port nobody listens on now (the OS picks it); rank 0 binds it a moment later."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_tensor_parallel(
    gguf_path: str | Path,
    prompt: Sequence[int],
    steps: int,
    world: int = 2,
    threads_per_rank: int = 1,
    timeout_s: float = 180.0,
    progress: Callable[[int, str], None] | None = None,
) -> dict:
    """Run ``world`` ranks as separate processes on this machine; returns rank 0's ``greedy_run`` result.

    Every rank is killed when this returns or raises, whatever happened.
    """
    repo_root = str(Path(__file__).resolve().parents[2])  # engine/experiments/this.py -> the repository
    env = dict(os.environ, GLOO_SOCKET_IFNAME="lo", OMP_NUM_THREADS=str(threads_per_rank))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (repo_root, env.get("PYTHONPATH", "")) if p)
    with tempfile.TemporaryDirectory(prefix="engine-tp-") as tmp:
        job = Path(tmp)
        (job / "job.json").write_text(json.dumps({
            "gguf": str(gguf_path), "prompt": [int(t) for t in prompt], "steps": steps,
            "threads_per_rank": threads_per_rank, "timeout_s": timeout_s,
        }))
        port = free_port()
        procs: list[subprocess.Popen] = []
        try:
            for rank in range(world):
                log = open(job / f"rank{rank}.log", "wb")
                procs.append(subprocess.Popen(
                    [sys.executable, "-m", "engine.experiments.tensor_parallel", "--rank", str(rank),
                     "--world", str(world), "--port", str(port), "--job", str(job)],
                    env=env, cwd=repo_root, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                ))
                log.close()  # the child holds its own copy of the descriptor
            _wait(procs, job, steps, timeout_s, progress)
            return torch.load(job / "result.pt")
        finally:
            for proc in procs:
                if proc.poll() is None:
                    os.killpg(proc.pid, signal.SIGKILL)  # its own session: the group is this rank alone
                proc.wait()


def _wait(procs: list[subprocess.Popen], job: Path, steps: int, timeout_s: float, progress) -> None:
    deadline = time.monotonic() + timeout_s
    last_step = -1
    while True:
        codes = [p.poll() for p in procs]
        failed = [rank for rank, code in enumerate(codes) if code not in (None, 0)]
        if failed:
            rank = failed[0]
            tail = (job / f"rank{rank}.log").read_text(errors="replace")[-1500:]
            raise TensorParallelError(f"tensor-parallel rank {rank} exited with code {codes[rank]}:\n{tail}")
        if all(code == 0 for code in codes):
            return
        if time.monotonic() > deadline:
            raise TensorParallelError(
                f"tensor-parallel run did not finish within {timeout_s:g} s; its processes were killed"
            )
        try:
            state = json.loads((job / "progress.json").read_text())
        except (OSError, ValueError):
            state = None
        if progress and state and state["step"] != last_step:
            last_step = state["step"]
            progress(last_step, state["message"])
        time.sleep(0.05)


# ------------------------------------------------------------------- ranks as threads (for tests)


class ThreadGroup:
    """An all-reduce between threads of one process: the same arithmetic as gloo's sum, no sockets.

    Lets the tests run W shards side by side on any machine. Each rank deposits its tensor, waits
    for the others, and every rank adds them in rank order, so all ranks get the same sum.
    """

    def __init__(self, world: int):
        self.world = world
        self.slots: list[torch.Tensor | None] = [None] * world
        self.barrier = threading.Barrier(world)

    def reducer(self, rank: int) -> Reduce:
        def reduce(tensor: torch.Tensor) -> torch.Tensor:
            self.slots[rank] = tensor.clone()
            self.barrier.wait()
            total = self.slots[0].clone()
            for other in self.slots[1:]:
                total += other
            self.barrier.wait()  # nobody overwrites a slot before every rank has read them all
            tensor.copy_(total)
            return tensor

        return reduce


def run_in_threads(
    config: ModelConfig, state: dict[str, torch.Tensor], prompt: Sequence[int], steps: int, world: int
) -> list[dict]:
    """Every rank's ``greedy_run`` result, the ranks being threads of this process."""
    group = ThreadGroup(world)
    results: list[dict | None] = [None] * world
    errors: list[BaseException] = []

    def rank_main(rank: int) -> None:
        try:
            model = TensorParallelModel(config, state, shard_plan(config, rank, world))
            results[rank] = greedy_run(model, prompt, steps, group.reducer(rank))
        except BaseException as error:  # noqa: BLE001 (re-raised in the caller's thread)
            errors.append(error)
            group.barrier.abort()

    threads = [threading.Thread(target=rank_main, args=(rank,)) for rank in range(world)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


if __name__ == "__main__":
    worker_main()
