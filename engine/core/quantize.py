"""Int8 weight-only quantisation of a model's linear layers, and the perplexity check that goes with it.

Each output channel (row) ``w`` of a weight matrix is stored as ``round(w / s)`` in int8 with one
float scale ``s = max|w| / 127`` per row. Per-channel scales matter: one outlier row would
otherwise stretch the grid for every other row. Because the scale belongs to an output
channel, it factors out of the dot product:

    y_j = sum_i x_i * w_ji  ~=  s_j * sum_i x_i * q_ji

so the layer computes ``linear(x, q) * s``. Activations stay in floating point ("weight-only"):
the saving is memory and, on hardware with a fused int8-weight kernel, the bandwidth a decode step
spends reading weights. On a CPU without such a kernel the int8 -> float conversion happens on
every call, so expect the same or lower speed: the win measured here is bytes and the cost is
perplexity.

The embedding table stays in float (it is a lookup, not a matmul). With tied embeddings the LM
head gets its own int8 copy, so the float table is kept *and* an int8 head is added.
"""
from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

# A fixed evaluation passage (written for this project) so every run scores the same text.
EVAL_TEXT = (
    "A language model turns text into a sequence of token ids and predicts the next id from all "
    "the previous ones. During generation the prompt is processed once, and then one token is "
    "produced per step. Each step reads every weight of the network from memory, so a small model "
    "on a laptop spends most of its time waiting for memory rather than doing arithmetic. Storing "
    "the weights in eight bits instead of thirty-two shrinks that traffic by a factor of four. "
    "The question is what the rounding costs: if the model becomes noticeably worse at predicting "
    "ordinary English, the saving is not worth much. Perplexity measures exactly that. It is the "
    "exponential of the average negative log-likelihood of the true next token, so a perplexity of "
    "twenty means the model is, on average, as unsure as if it were choosing uniformly among twenty "
    "words. Lower is better, and a good quantisation scheme should move it only slightly."
)


class Int8Linear(nn.Module):
    """A bias-free linear layer with int8 weights and one float scale per output channel."""

    def __init__(self, weight_int8: torch.Tensor, scale: torch.Tensor):
        super().__init__()
        self.in_features, self.out_features = weight_int8.shape[1], weight_int8.shape[0]
        self.register_buffer("weight_int8", weight_int8)  # [out, in] int8
        self.register_buffer("scale", scale)  # [out], the activations' dtype

    @classmethod
    def from_linear(cls, linear: nn.Linear) -> Int8Linear:
        if linear.bias is not None:
            raise ValueError("Int8Linear quantises bias-free layers only (the engine's layers have no bias)")
        q, scale = quantize_per_channel(linear.weight.detach())
        return cls(q, scale.to(linear.weight.dtype))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight_int8.to(x.dtype)) * self.scale

    def dequantized(self) -> torch.Tensor:
        return self.weight_int8.to(self.scale.dtype) * self.scale[:, None]

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, int8 per-channel"


def quantize_per_channel(weight: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Symmetric absmax int8 per row: returns (int8 [out, in], float32 scale [out])."""
    scale = weight.float().abs().amax(dim=1).clamp(min=1e-12) / 127.0
    q = torch.round(weight.float() / scale[:, None]).clamp(-127, 127).to(torch.int8)
    return q, scale


@dataclass(frozen=True)
class QuantizationReport:
    layers: int  # linear layers converted
    bytes_before: int  # all distinct parameters and buffers
    bytes_after: int
    max_abs_error: float  # largest |w - dequant(q)| over every converted weight
    mean_rel_error: float  # mean over layers of ||w - dequant||_F / ||w||_F
    layer_errors: dict[str, float]  # that relative error for each converted layer, by module name

    @property
    def compression(self) -> float:
        return self.bytes_before / self.bytes_after


def model_bytes(model: nn.Module) -> int:
    """Bytes of distinct tensors (a tied weight counts once)."""
    seen, total = set(), 0
    for t in [*model.parameters(), *model.buffers()]:
        if t.data_ptr() not in seen:
            seen.add(t.data_ptr())
            total += t.numel() * t.element_size()
    return total


def quantize_int8(model: nn.Module, include_lm_head: bool = True, inplace: bool = False) -> tuple[nn.Module, QuantizationReport]:
    """Replace every ``nn.Linear`` (optionally except ``lm_head``) with an ``Int8Linear``.

    Returns the quantised model (a new module tree sharing the unquantised tensors, unless
    ``inplace``) and what it saved and cost.
    RoPE tables are rebuilt buffers, not weights; they are left as they are.
    """
    before = model_bytes(model)
    # A copy of the module tree that *shares* every tensor: the float weights being replaced are
    # dropped from it, the rest (embeddings, norms) are not duplicated.
    target = model if inplace else copy.deepcopy(model, memo={id(t): t for t in [*model.parameters(), *model.buffers()]})
    targets = [
        (name, module) for name, module in target.named_modules()
        if isinstance(module, nn.Linear) and (include_lm_head or not name.endswith("lm_head"))
    ]
    max_err, rel_errs = 0.0, {}
    for name, linear in targets:
        quantized = Int8Linear.from_linear(linear)
        error = linear.weight.detach().float() - quantized.dequantized().float()
        max_err = max(max_err, float(error.abs().max()))
        rel_errs[name] = float(error.norm() / linear.weight.detach().float().norm().clamp(min=1e-12))
        parent_name, _, child = name.rpartition(".")
        setattr(target.get_submodule(parent_name) if parent_name else target, child, quantized)
    report = QuantizationReport(
        layers=len(targets),
        bytes_before=before,
        bytes_after=model_bytes(target),
        max_abs_error=max_err,
        mean_rel_error=sum(rel_errs.values()) / len(rel_errs) if rel_errs else 0.0,
        layer_errors=rel_errs,
    )
    return target, report


@torch.inference_mode()
def perplexity(model: nn.Module, ids: Sequence[int] | torch.Tensor) -> float:
    """exp(mean negative log-likelihood of each token given the ones before it), one forward pass."""
    ids = torch.as_tensor(list(ids) if not isinstance(ids, torch.Tensor) else ids, dtype=torch.long).flatten()
    if ids.numel() < 2:
        raise ValueError(f"ids: perplexity needs at least 2 tokens, got {ids.numel()}")
    device = next(model.parameters()).device
    ids = ids.to(device)
    logits = model(ids[None, :-1])[0].float()  # [n-1, V]
    nll = F.cross_entropy(logits, ids[1:])
    return math.exp(float(nll))
