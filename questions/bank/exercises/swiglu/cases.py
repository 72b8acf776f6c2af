"""Hidden tests for swiglu: one token, batches of sequences, square weights, F = 1, float64."""
from types import SimpleNamespace

import torch

from questions.exercises.cases import Case


def cases(seed: int) -> list[Case]:
    g = torch.Generator().manual_seed(seed)

    def randn(*shape, dtype=torch.float32, scale=1.0):
        return (torch.randn(*shape, generator=g, dtype=torch.float64) * scale).to(dtype)

    def weights(c: int, f: int, dtype=torch.float32):
        # Initialised like a trained layer's scale (std 1/sqrt(fan_in)) so activations stay O(1).
        return (randn(f, c, dtype=dtype, scale=c ** -0.5), randn(f, c, dtype=dtype, scale=c ** -0.5),
                randn(c, f, dtype=dtype, scale=f ** -0.5))

    return [
        Case("single-token", args=(randn(1, 4), *weights(4, 6)), visible=True,
             explain="One token of width 4 through a hidden width of 6."),
        Case("batch-of-sequences", args=(randn(2, 3, 8), *weights(8, 16)), visible=True,
             explain="A [2, 3, 8] batch: every token transformed independently."),
        Case("float64-sequences", args=(randn(2, 5, 16, dtype=torch.float64), *weights(16, 40, torch.float64)),
             explain="float64 input and weights with F = 2.5 C."),
        Case("square-weights", args=(randn(3, 12), *weights(12, 12)),
             explain="F = C, so every weight is square and a missing transpose raises no error."),
        Case("one-hidden-unit", args=(randn(4, 8), *weights(8, 1)),
             explain="F = 1: a single gated hidden unit."),
        Case("strongly-negative-gate", args=(randn(2, 8, scale=6.0), *weights(8, 24)),
             explain="Large inputs push many gates far below zero, where SiLU is close to 0 but not sigmoid-shaped."),
        Case("large-llama-shaped", args=(randn(2, 64, 256), *weights(256, 688)),
             explain="128 tokens of width 256 with LLaMA's F ~ 8/3 C hidden width."),
    ]


def expected(case: Case):
    """The engine's SwiGLU module (engine.core.model.SwiGLU), its fused gate_up weight built from w_gate and w_up."""
    from engine.core.model import SwiGLU

    x, w_gate, w_up, w_down = case.args
    d_ff, d_model = w_gate.shape
    # Built on the meta device and then given real storage: skips a random init that would be overwritten.
    with torch.device("meta"):
        mlp = SwiGLU(SimpleNamespace(d_model=d_model, d_ff=d_ff))
    mlp = mlp.to_empty(device=x.device).to(x.dtype)
    with torch.no_grad():
        mlp.gate_up.weight.copy_(torch.cat((w_gate, w_up), dim=0))  # gate rows first, as the engine splits
        mlp.down_proj.weight.copy_(w_down)
        return mlp(x)
