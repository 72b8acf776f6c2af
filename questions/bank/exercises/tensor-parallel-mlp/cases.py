"""Hidden tests for tensor-parallel-mlp.

Oracle: the engine's tensor-parallel code (engine.experiments.tensor_parallel): its shard_plan picks
each rank's hidden units, ShardedLayer slices the weights, and TensorParallelModel.mlp_partial computes
the rank's partial output. The attention weights a ShardedLayer also slices are zeros here.
"""
import math

import torch

from questions.exercises.cases import Case


def _mlp(g, b, t, c, hidden, world, dtype):
    def w(rows, cols, fan_in):
        return torch.randn(rows, cols, generator=g, dtype=torch.float64).div(math.sqrt(fan_in)).to(dtype)

    x = torch.randn(b, t, c, generator=g, dtype=torch.float64).to(dtype)
    return (x, w(hidden, c, c), w(hidden, c, c), w(c, hidden, hidden), world)


def cases(seed: int) -> list[Case]:
    g = torch.Generator().manual_seed(seed)
    return [
        Case("two-ranks-small", args=_mlp(g, 1, 2, 4, 6, 2, torch.float64), visible=True,
             explain="Width 4, six hidden units over two ranks: units 0-2 on rank 0, 3-5 on rank 1."),
        Case("three-ranks-uneven", args=_mlp(g, 1, 3, 6, 8, 3, torch.float64), visible=True,
             explain="Eight units over three ranks split 2, 3, 3 (floor of r·F/W), none lost."),
        Case("one-rank", args=_mlp(g, 2, 3, 8, 16, 1, torch.float64),
             explain="W = 1: the only partial is the whole MLP."),
        Case("one-unit-per-rank", args=_mlp(g, 1, 4, 5, 4, 4, torch.float64),
             explain="As many ranks as hidden units: each rank holds a single unit."),
        Case("seven-units-two-ranks", args=_mlp(g, 2, 2, 6, 7, 2, torch.float32),
             explain="Seven units over two ranks (3 and 4), in float32."),
        Case("float32-batch", args=_mlp(g, 3, 8, 32, 96, 4, torch.float32),
             explain="float32 inputs: the partials must stay float32."),
        Case("large-four-ranks", args=_mlp(g, 2, 64, 256, 1024, 4, torch.float32),
             explain="128 tokens through a 256-wide MLP with 1024 hidden units on four ranks."),
    ]


def expected(case: Case):
    from engine.core.config import ModelConfig
    from engine.experiments.tensor_parallel import ShardedLayer, TensorParallelModel, shard_plan

    x, w_gate, w_up, w_down, world = case.args
    hidden, width = w_gate.shape
    # Heads of size 1, so any world up to the width is a valid split of the (unused) attention.
    config = ModelConfig(d_model=width, n_heads=width, n_kv_heads=width, d_ff=hidden, n_layers=1)
    zeros = torch.zeros(width, width, dtype=x.dtype)
    state = {
        "layers.0.attn_norm.weight": torch.ones(width, dtype=x.dtype),
        "layers.0.mlp_norm.weight": torch.ones(width, dtype=x.dtype),
        "layers.0.attn.q_proj.weight": zeros, "layers.0.attn.k_proj.weight": zeros,
        "layers.0.attn.v_proj.weight": zeros, "layers.0.attn.o_proj.weight": zeros,
        "layers.0.mlp.gate_proj.weight": w_gate, "layers.0.mlp.up_proj.weight": w_up,
        "layers.0.mlp.down_proj.weight": w_down,
    }
    partials = []
    for rank in range(world):
        layer = ShardedLayer(state, 0, config, shard_plan(config, rank, world))
        partials.append(TensorParallelModel.mlp_partial(None, layer, x))  # reads only the layer, not the model
    return torch.stack(partials)
