"""Mixture of experts: does the load-balancing loss keep experts evenly used?

Trains the same top-2 MoE layer twice on a task whose inputs come from clusters of very unequal
frequency (a few "topics" dominate): once with the Switch-style balancing loss switched off,
once with it on. Same seed, same data, same capacity; only the loss differs.
"""
from __future__ import annotations

from typing import Any

from engine.demos.registry import DemoResult, Param, ProgressFn, register, series


@register(
    "moe_load_balance",
    title="MoE routing: expert load and dropped tokens with and without the load-balancing loss",
    summary="A top-2 mixture of experts trained on a skewed task twice, balancing loss off vs on: "
    "tokens per expert, max/mean load, share of assignments dropped at capacity.",
    params=(
        Param("n_experts", int, 8, "experts in the layer", min=2, max=32),
        Param("aux_coef", float, 0.05, "weight of the balancing loss in the 'on' run", min=0.001, max=1.0),
        Param("capacity_factor", float, 1.25, "expert buffer size relative to a perfectly even split", min=0.25, max=4.0),
        Param("steps", int, 150, "training steps (Adam, 256 tokens per batch)", min=20, max=1000),
        Param("skew", float, 1.5, "Zipf exponent of cluster frequencies (0 = uniform)", min=0.0, max=3.0),
        Param("jitter", float, 0.01, "multiplicative router-input noise during training", min=0.0, max=0.5),
    ),
)
def moe_load_balance(params: dict[str, Any], progress: ProgressFn) -> dict[str, Any]:
    import torch

    from engine.experiments.measure import one_thread
    from engine.core.moe import MoELayer, train_moe

    traces = {}
    with one_thread():
        for i, coef in enumerate((0.0, params["aux_coef"])):
            progress(5 + 45 * i, f"training, balancing loss x {coef:g}")
            torch.manual_seed(0)
            layer = MoELayer(32, 64, n_experts=params["n_experts"], top_k=2,
                             capacity_factor=params["capacity_factor"], jitter=params["jitter"])
            traces[coef] = train_moe(layer, steps=params["steps"], aux_coef=coef, skew=params["skew"],
                                     record_every=max(1, params["steps"] // 30))
    off, on = traces[0.0], traces[params["aux_coef"]]
    experts = list(range(params["n_experts"]))
    share = lambda stats: [round(100 * a / sum(stats.assigned), 2) for a in stats.assigned]
    rows = [
        ["max / mean expert load (held-out batch)", round(off.final.max_over_mean_load, 2), round(on.final.max_over_mean_load, 2)],
        ["assignments dropped at capacity (%)", round(100 * off.final.dropped_fraction, 2), round(100 * on.final.dropped_fraction, 2)],
        ["balancing loss (1 = uniform)", round(off.aux_loss[-1], 3), round(on.aux_loss[-1], 3)],
        ["task loss (MSE) at the end", round(off.task_loss[-1], 4), round(on.task_loss[-1], 4)],
        ["least-used expert's share (%)", min(share(off.final)), min(share(on.final))],
    ]
    result = DemoResult(f"Top-2 MoE, {params['n_experts']} experts, capacity factor {params['capacity_factor']:g}: balancing loss off vs on")
    result.metric("max/mean load, no balancing loss", rows[0][1], "x")
    result.metric(f"max/mean load, balancing loss x {params['aux_coef']:g}", rows[0][2], "x")
    result.metric("dropped, no balancing loss", rows[1][1], "%")
    result.metric("dropped, with balancing loss", rows[1][2], "%")
    result.table(["", "balancing loss off", f"balancing loss x {params['aux_coef']:g}"], rows)
    result.chart("Share of token->expert assignments per expert (held-out batch)", "expert", "% of assignments", [
        series("loss off", experts, share(off.final)),
        series("loss on", experts, share(on.final)),
    ])
    result.chart("Load imbalance during training", "step", "max / mean expert load", [
        series("loss off", off.steps, [round(v, 3) for v in off.max_over_mean_load]),
        series("loss on", on.steps, [round(v, 3) for v in on.max_over_mean_load]),
    ])
    result.note(
        f"Without the balancing loss the busiest expert took {rows[0][1]}x its even share and {rows[1][1]}% of assignments "
            f"overflowed its capacity; with it, {rows[0][2]}x and {rows[1][2]}%.",
        "Dropped assignments are real lost work: the token gets nothing from that expert, only the residual path. "
            "Capacity exists because experts run as fixed-size batches (one per device under expert parallelism).",
        "The loss is E x sum(f_e x P_e): the fraction of tokens whose first choice is expert e times its mean router "
            "probability. Only P carries gradient, so it nudges probability away from overloaded experts.",
        "Too large a coefficient trades task quality for evenness; compare the task-loss row.",
    )
    result.measured_with(timing_threads=1)
    return result
