"""A small mixture-of-experts layer: top-2 routing, expert capacity, load-balancing loss, router jitter.

Each token's router scores pick its ``top_k`` experts; the token's output is the gate-weighted sum
of those experts' outputs (gates = the chosen probabilities renormalised to sum to 1, as Mixtral
does). Only k of E expert MLPs run per token, so parameters grow with E while compute per token
stays ~k MLPs.

Three things keep routing healthy, each a constructor argument:

``capacity_factor``
    An expert processes at most ``ceil(capacity_factor * tokens * k / E)`` assignments per batch
    (fixed-size buffers are what make expert parallelism efficient). Assignments past that are
    *dropped*: the token gets nothing from that expert and only the residual path carries it.
    First choices are served before any second choice (GShard's priority), so overflow hits
    second choices first.
``aux_loss`` (returned, weight chosen by the caller)
    Switch Transformer's balancing loss ``E * sum_e f_e * P_e``: ``f_e`` is the fraction of tokens
    whose first choice is expert e, ``P_e`` the mean router probability for e. It equals 1 when
    routing is uniform and grows as a few experts take most tokens; only ``P`` carries gradient,
    pushing probability away from overloaded experts.
``jitter``
    During training the router input is multiplied by noise from U(1 - jitter, 1 + jitter)
    (Switch), so near-ties between experts do not lock in early.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass
class RoutingStats:
    tokens: int
    capacity: int  # assignments each expert may take
    assigned: list[int]  # assignments per expert before the capacity cut
    kept: list[int]  # assignments per expert actually processed
    dropped_fraction: float  # share of all token->expert assignments dropped
    mean_probability: list[float]  # P_e: router probability per expert, averaged over tokens

    @property
    def max_over_mean_load(self) -> float:
        """1.0 is perfectly balanced; E means one expert got every assignment."""
        mean = sum(self.assigned) / len(self.assigned)
        return max(self.assigned) / mean if mean else 0.0


class ExpertMLP(nn.Module):
    def __init__(self, d_model: int, d_ff: int):
        super().__init__()
        self.up = nn.Linear(d_model, d_ff)
        self.down = nn.Linear(d_ff, d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.down(F.gelu(self.up(x)))


class MoELayer(nn.Module):
    def __init__(
        self,
        d_model: int,
        d_ff: int,
        n_experts: int = 8,
        top_k: int = 2,
        capacity_factor: float = 1.25,
        jitter: float = 0.0,
    ):
        super().__init__()
        if not 1 <= top_k <= n_experts:
            raise ValueError(f"top_k must be between 1 and n_experts ({n_experts}), got {top_k}")
        if capacity_factor <= 0:
            raise ValueError(f"capacity_factor must be positive, got {capacity_factor}")
        if not 0 <= jitter < 1:
            raise ValueError(f"jitter must be in [0, 1), got {jitter}")
        self.n_experts, self.top_k = n_experts, top_k
        self.capacity_factor, self.jitter = capacity_factor, jitter
        self.router = nn.Linear(d_model, n_experts, bias=False)
        self.experts = nn.ModuleList(ExpertMLP(d_model, d_ff) for _ in range(n_experts))

    def capacity(self, tokens: int) -> int:
        return max(1, math.ceil(self.capacity_factor * tokens * self.top_k / self.n_experts))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, RoutingStats]:
        """Returns (output shaped like x, auxiliary balancing loss, routing statistics)."""
        shape = x.shape
        x = x.reshape(-1, shape[-1])  # [N, C]
        n, e, k = x.shape[0], self.n_experts, self.top_k
        router_in = x
        if self.training and self.jitter > 0:
            router_in = x * torch.empty_like(x).uniform_(1 - self.jitter, 1 + self.jitter)
        probs = self.router(router_in).float().softmax(dim=-1)  # [N, E]
        top_p, top_i = probs.topk(k, dim=-1)  # [N, k]
        gates = (top_p / top_p.sum(dim=-1, keepdim=True)).to(x.dtype)

        # Slot of each assignment inside its expert's buffer, first choices first (choice-major order).
        choice_major = top_i.t().reshape(-1)  # [k * N]
        one_hot = F.one_hot(choice_major, e)  # [k * N, E]
        slot = ((one_hot.cumsum(dim=0) - 1) * one_hot).sum(dim=-1)  # [k * N]
        cap = self.capacity(n)
        keep = slot < cap

        out = torch.zeros_like(x)
        token_of = torch.arange(n, device=x.device).repeat(k)  # choice-major, like choice_major
        gate_of = gates.t().reshape(-1)
        for expert_id, expert in enumerate(self.experts):
            chosen = (choice_major == expert_id) & keep
            if bool(chosen.any()):
                tokens = token_of[chosen]
                out.index_add_(0, tokens, expert(x[tokens]) * gate_of[chosen, None])

        first_choice_share = F.one_hot(top_i[:, 0], e).float().mean(dim=0)  # f_e (no gradient: argmax)
        mean_prob = probs.mean(dim=0)  # P_e
        aux_loss = e * torch.sum(first_choice_share * mean_prob)
        assigned = one_hot.sum(dim=0)
        kept = (one_hot * keep[:, None]).sum(dim=0)
        stats = RoutingStats(
            tokens=n,
            capacity=cap,
            assigned=assigned.tolist(),
            kept=kept.tolist(),
            dropped_fraction=1 - float(keep.float().mean()),
            mean_probability=mean_prob.detach().tolist(),
        )
        return out.reshape(shape), aux_loss, stats


@dataclass
class TrainingTrace:
    steps: list[int]
    task_loss: list[float]
    aux_loss: list[float]
    max_over_mean_load: list[float]
    dropped_fraction: list[float]
    final: RoutingStats  # routing on a held-out batch after training


@dataclass
class ClusteredTask:
    """A task experts can split: inputs come from clusters, each with its own linear target map."""

    centres: torch.Tensor  # [clusters, C]
    maps: torch.Tensor  # [clusters, C, C]
    frequency: torch.Tensor  # [clusters]: Zipf-like, so a few "topics" dominate as in real text

    @classmethod
    def make(cls, d_model: int, n_clusters: int, seed: int, skew: float = 1.0) -> ClusteredTask:
        g = torch.Generator().manual_seed(seed)
        centres = torch.randn(n_clusters, d_model, generator=g) * 3
        maps = torch.randn(n_clusters, d_model, d_model, generator=g) / math.sqrt(d_model)
        weights = 1.0 / torch.arange(1, n_clusters + 1, dtype=torch.float32) ** skew
        return cls(centres, maps, weights / weights.sum())

    def batch(self, n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        cluster = torch.multinomial(self.frequency, n, replacement=True, generator=generator)
        x = self.centres[cluster] + torch.randn(n, self.centres.shape[1], generator=generator)
        return x, torch.einsum("nd,nde->ne", x, self.maps[cluster])


def train_moe(
    layer: MoELayer,
    steps: int = 150,
    aux_coef: float = 0.01,
    batch: int = 256,
    n_clusters: int = 16,
    skew: float = 1.0,
    lr: float = 3e-3,
    seed: int = 0,
    record_every: int = 10,
) -> TrainingTrace:
    """Fit ``layer`` to a ``ClusteredTask`` with Adam; loss = MSE + aux_coef * balancing loss."""
    torch.manual_seed(seed)  # jitter noise draws from the global generator
    generator = torch.Generator().manual_seed(seed + 1)
    task = ClusteredTask.make(layer.router.in_features, n_clusters, seed, skew)
    optimizer = torch.optim.Adam(layer.parameters(), lr=lr)
    trace = TrainingTrace([], [], [], [], [], final=None)  # type: ignore[arg-type]
    layer.train()
    for step in range(1, steps + 1):
        x, y = task.batch(batch, generator)
        out, aux, stats = layer(x)
        mse = F.mse_loss(out, y)
        loss = mse + aux_coef * aux
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % record_every == 0 or step == 1:
            trace.steps.append(step)
            trace.task_loss.append(float(mse.detach()))
            trace.aux_loss.append(float(aux.detach()))
            trace.max_over_mean_load.append(stats.max_over_mean_load)
            trace.dropped_fraction.append(stats.dropped_fraction)
    layer.eval()
    with torch.no_grad():
        x, _ = task.batch(4 * batch, generator)
        trace.final = layer(x)[2]
    return trace
