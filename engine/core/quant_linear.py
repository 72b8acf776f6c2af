"""The native-precision model: ``load_model(..., weights="gguf")`` multiplies with the file's own blocks.

Every matrix stays as the GGUF stored it (Q4_1 for the projections, Q8_0 for the embedding table
that doubles as the LM head, read by engine.io.gguf_native) and every weight it stands for is exactly
the float32 path's weight. What changes is the rounding of the arithmetic:

* **CPU**: the C kernels of engine.kernels.quant_cpu, for up to ``GEMV_MAX_ROWS`` token rows (decode,
  small batches). The layers' matmuls round each block of 32 activations to int8 with a float scale
  and multiply in integers, as llama.cpp does; the LM head keeps float32 activations (see
  ``build_native_model``); ``set_activations(model, "float32")`` makes every matmul differ from the
  float32 path only in the order of its additions. Measured on the held-out passage
  (engine.experiments.native_agreement): teacher-forced top-1 agreement with the float32 path 97.3%,
  perplexity +0.1% (float32 activations: 100%, 0.0%); fed one token at a time (every position through
  the decode kernels) 96.9% and +0.6%: the int8 rounding flips a few near-tied choices either way. Longer inputs (a prompt) dequantise the matrix
  once and use the float32 matmul, which beats re-reading the blocks once per row.
* **CUDA**: the Triton kernel of engine.kernels.quant_matmul (dequantise a tile in registers, ``tl.dot``).
* **Fallback** (no compiler, no AVX2): dequantise in torch on every call; correct and slow.

Norms and RoPE tables are float32 as in the float32 path; the KV caches hold float32. Each layer's
two pre-norms are folded into the matmul they feed (``QuantLinear.fold_norm``; the blocks'
``attn_norm`` / ``mlp_norm`` become identities), so the CPU kernel normalises x while reading it;
SwiGLU's silu(gate) * up is folded into the down projection the same way (``QuantLinear.fold_glu``),
and a decode step's RoPE and attention run in C (``quant_cpu.rope_in_place``, ``attend_one_query``).
On the CPU a decode step then runs every layer in one C call (engine.core.native_step), the same
kernels in the same order as the modules.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from engine.core.config import ModelConfig
from engine.core.model import RMSNorm, RotaryEmbedding, Transformer, fuse_projections
from engine.core.native_step import NativeDecodeLayers
from engine.kernels import quant_cpu

BLOCK = 32
# type -> (bytes per block, names of the parts in block order)
FORMATS: dict[str, tuple[int, tuple[str, ...]]] = {"Q4_1": (20, ("qs", "d", "m")), "Q8_0": (34, ("qs", "d"))}


@dataclass
class BlockTensor:
    """A [rows, cols] matrix stored as GGUF blocks (see the module docstring for the parts)."""

    qtype: str
    parts: tuple[torch.Tensor, ...]  # qs, d[, m]; rows first

    @property
    def shape(self) -> tuple[int, int]:
        qs = self.parts[0]
        return qs.shape[0], qs.shape[1] * BLOCK

    @property
    def nbytes(self) -> int:
        return sum(p.numel() * p.element_size() for p in self.parts)

    def map_rows(self, fn: Callable[[torch.Tensor], torch.Tensor]) -> BlockTensor:
        """Apply a row operation (a permutation, a slice) to every part alike."""
        return BlockTensor(self.qtype, tuple(fn(p) for p in self.parts))

    @staticmethod
    def cat(tensors: Sequence[BlockTensor]) -> BlockTensor:
        """Stack matrices of one type and width along the rows (fusing q/k/v, gate/up)."""
        qtypes = {t.qtype for t in tensors}
        if len(qtypes) != 1:
            raise ValueError(f"cannot fuse tensors of different types {sorted(qtypes)} into one matrix")
        return BlockTensor(tensors[0].qtype, tuple(torch.cat(ps, dim=0) for ps in zip(*(t.parts for t in tensors))))

    def dequantize(self) -> torch.Tensor:
        """float32 [rows, cols] in torch, the reference the kernels are tested against (gguf.quants' formula)."""
        qs, d = self.parts[0], self.parts[1].float()[..., None]  # [N, nb, *], [N, nb, 1]
        if self.qtype == "Q4_1":
            q = torch.cat([qs & 0x0F, qs >> 4], dim=-1).float()  # [N, nb, 32]: low nibbles first
            w = d * q + self.parts[2].float()[..., None]
        else:
            w = d * qs.float()
        return w.reshape(self.shape)

# How the CPU kernels take the activations (engine.kernels.quant_cpu.ACTIVATIONS): int8 blocks for
# the layers' matrices (llama.cpp's scheme, ~2x faster than float32 on AVX2), float32 for the LM head.
LAYER_ACTIVATIONS, HEAD_ACTIVATIONS = "int8", "float32"

# Above this many token rows one dequantisation + a float32 matmul is cheaper than the kernel,
# which re-reads the blocks per row (measured on SmolLM2's shapes, 2 threads: ~even at 8 rows).
GEMV_MAX_ROWS = 8


class QuantLinear(nn.Module):
    """A bias-free linear layer whose weight is a GGUF block tensor (Q4_1 or Q8_0)."""

    def __init__(self, weight: BlockTensor, activations: str = LAYER_ACTIVATIONS):
        super().__init__()
        self.qtype = weight.qtype
        self.out_features, self.in_features = weight.shape
        self.part_names = FORMATS[weight.qtype][1]
        for name, part in zip(self.part_names, weight.parts):
            self.register_buffer(name, part)
        self.activations = activations  # how the CPU kernel takes x: quant_cpu.ACTIVATIONS
        self.register_buffer("norm_weight", None)  # an RMSNorm folded in by fold_norm, applied to x first
        self.norm_eps = 0.0
        self.glu = False  # set by fold_glu: x holds SwiGLU's gate and up, the layer multiplies silu(gate) * up
        self._kernel: quant_cpu.BoundMatmul | None = None  # built on the first CPU call

    def fold_norm(self, norm: RMSNorm) -> None:
        """Apply ``norm`` to the input first: for a pre-norm whose output feeds only this layer.

        The CPU kernels normalise in the pass that reads x anyway (quant_cpu.c), which saves a
        separate torch norm per matmul; the other routes apply ``F.rms_norm`` here.
        """
        self.norm_weight = norm.weight.detach().float().contiguous()
        self.norm_eps = norm.eps
        self._kernel = None

    def fold_glu(self) -> None:
        """Take SwiGLU's fused gate/up output [..., 2 * in_features] and multiply silu(gate) * up.

        The CPU kernels compute the product in the pass that reads x (quant_cpu.c), which saves the
        model a split, a SiLU and a multiply per layer; the other routes compute it here in torch.
        """
        self.glu = True
        self._kernel = None

    @property
    def blocks(self) -> BlockTensor:
        return BlockTensor(self.qtype, tuple(getattr(self, name) for name in self.part_names))

    def _apply(self, fn, recurse=True):
        self._kernel = None  # .to() / .cuda() may move the blocks: resolve the pointers again
        return super()._apply(fn, recurse)

    def dequantized(self) -> torch.Tensor:
        """The float32 [out, in] matrix the blocks stand for (bit-identical to the float32 path's weight)."""
        blocks = self.blocks
        if blocks.parts[0].device.type == "cpu" and quant_cpu.library() is not None:
            return quant_cpu.dequantize(self.qtype, blocks.parts, self.out_features, self.in_features // 32)
        return blocks.dequantize()

    def _normed(self, rows: torch.Tensor) -> torch.Tensor:
        """The folded norm in torch (the CUDA and dequantise-once routes), as engine.core.model.RMSNorm computes it."""
        if self.norm_weight is None:
            return rows
        return F.rms_norm(rows.float(), (self.in_features,), self.norm_weight, self.norm_eps).to(rows.dtype)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # The decode hot path (121 calls a step, each kernel 10-90 us): once the CPU kernel is bound,
        # go straight to it. The general route below costs ~10 us of Python and torch calls per matmul.
        kernel = self._kernel
        if kernel is not None and x.dtype == torch.float32 and x.is_contiguous():
            rows = x.numel() // x.shape[-1]
            if rows <= GEMV_MAX_ROWS:
                return kernel.rows_into(x, rows, x.shape[:-1])
        return self._forward(x)

    def _forward(self, x: torch.Tensor) -> torch.Tensor:
        rows = x.reshape(-1, x.shape[-1])
        cpu_kernel = x.device.type != "cuda" and rows.shape[0] <= GEMV_MAX_ROWS and quant_cpu.library() is not None
        if self.glu and not cpu_kernel:
            gate, up = rows.split(self.in_features, dim=-1)
            rows = F.silu(gate) * up  # what the CPU kernel computes while reading x
        if x.device.type == "cuda":
            from engine.kernels.quant_matmul import quant_matmul

            y = quant_matmul(self._normed(rows), self.qtype, self.blocks.parts)
        elif cpu_kernel:
            if rows.dtype != torch.float32 or not rows.is_contiguous():
                rows = rows.float().contiguous()
            y = self.cpu_kernel()(rows)
        else:
            y = F.linear(self._normed(rows).float(), self.dequantized())
        if y.dtype != x.dtype:
            y = y.to(x.dtype)
        return y.view(*x.shape[:-1], self.out_features)

    def cpu_kernel(self) -> quant_cpu.BoundMatmul:
        """The C kernel bound to this layer's blocks, folded norm and activations (built on first use)."""
        if self._kernel is None:
            norm = (self.norm_weight, self.norm_eps) if self.norm_weight is not None else None
            self._kernel = quant_cpu.BoundMatmul(self.qtype, self.blocks.parts, self.out_features, self.activations, norm, self.glu)
        return self._kernel

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, {self.qtype} blocks"


class QuantEmbedding(nn.Module):
    """A token-embedding table kept as GGUF blocks: a lookup dequantises only the rows it reads."""

    def __init__(self, weight: BlockTensor):
        super().__init__()
        self.qtype = weight.qtype
        self.num_embeddings, self.embedding_dim = weight.shape
        self.part_names = FORMATS[weight.qtype][1]
        for name, part in zip(self.part_names, weight.parts):
            self.register_buffer(name, part)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:  # [B, T] -> [B, T, C]
        parts = tuple(getattr(self, name).index_select(0, ids.flatten()) for name in self.part_names)
        return BlockTensor(self.qtype, parts).dequantize().view(*ids.shape, self.embedding_dim)


def set_activations(model: nn.Module, activations: str) -> nn.Module:
    """Switch every ``QuantLinear`` of ``model`` to ``activations`` (quant_cpu.ACTIVATIONS) for its CPU kernel."""
    if activations not in quant_cpu.ACTIVATIONS:
        raise ValueError(f"activations: unknown option {activations!r}; choose one of {', '.join(quant_cpu.ACTIVATIONS)}")
    for module in model.modules():
        if isinstance(module, QuantLinear):
            module.activations = activations
            module._kernel = None  # bound to the other kernel
    return model


def build_native_model(config: ModelConfig, state: dict[str, BlockTensor | torch.Tensor]) -> Transformer:
    """A Transformer whose matrices are ``QuantLinear`` over the blocks in ``state`` (engine.io.gguf_native)."""
    fused = fuse_projections(state, config, cat=_cat)
    with torch.device("meta"):
        model = Transformer(config)
    for name, value in fused.items():
        module_name, _, attr = name.rpartition(".")
        parent_name, _, child = module_name.rpartition(".")
        parent = model.get_submodule(parent_name) if parent_name else model
        if isinstance(value, BlockTensor):
            module = QuantEmbedding(value) if child == "embed" else QuantLinear(value)
            setattr(parent, child, module)
        else:
            getattr(parent, child).weight = nn.Parameter(value, requires_grad=False)
    if config.tie_embeddings:
        # One copy of the blocks serves the lookup and the LM head (the file stores it once too).
        embed = model.embed
        model.lm_head = QuantLinear(BlockTensor(embed.qtype, tuple(getattr(embed, n) for n in embed.part_names)))
    # The head's outputs are the logits themselves: rounding its input to int8 flips near-tied top-1
    # choices (teacher-forced agreement with float32 on the held-out passage: 96.2% with an int8 head,
    # 97.5% with a float32 one, measured before the C RoPE / attention / SwiGLU), and it is one matmul of 121, so it keeps float32 activations.
    model.lm_head.activations = HEAD_ACTIVATIONS
    _check_nothing_left_on_meta(model)
    for block in model.layers:
        # Each pre-norm's output feeds one matmul only: fold it into that matmul's kernel.
        block.attn.qkv.fold_norm(block.attn_norm)
        block.mlp.gate_up.fold_norm(block.mlp_norm)
        block.attn_norm, block.mlp_norm = nn.Identity(), nn.Identity()
        # A decode step's RoPE and attention in C too (each falls back to torch for inputs its kernel cannot take).
        block.attn.one_query = quant_cpu.attend_one_query
        block.attn.rope_in_place = quant_cpu.rope_in_place
        # And SwiGLU's silu(gate) * up inside the down projection's read of its input.
        block.mlp.down_proj.fold_glu()
        block.mlp.glu_in_down = True
    # And a decode step's every layer in one C call (engine.core.native_step); the blocks above stay the
    # reference route, taken for everything else (prefill, masks, other caches).
    model.decode_layers = NativeDecodeLayers(model, max_rows=GEMV_MAX_ROWS)
    model.rope = RotaryEmbedding(config.head_dim, config.max_seq_len, config.rope_theta)
    return model.eval().requires_grad_(False)


def _cat(values):
    if all(isinstance(v, BlockTensor) for v in values):
        return BlockTensor.cat(values)
    if any(isinstance(v, BlockTensor) for v in values):
        raise ValueError("weights='gguf' cannot fuse a quantised matrix with a float one (q/k/v or gate/up differ in type)")
    return torch.cat(values, dim=0)


def _check_nothing_left_on_meta(model: nn.Module) -> None:
    missing = [name for name, t in [*model.named_parameters(), *model.named_buffers()] if t.is_meta and "rope" not in name]
    if missing:
        raise ValueError(f"the GGUF file has no tensor for {', '.join(missing[:5])}")
