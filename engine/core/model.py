"""A LLaMA-shaped decoder you can read top to bottom.

RMSNorm -> RoPE -> Attention (GQA, causal, optional sliding window) -> SwiGLU MLP -> Block -> Transformer.

Shapes use B = batch, T = new tokens in this call, S = keys attended to (cache + new),
H = query heads, Hkv = key/value heads, D = head_dim, C = d_model, V = vocab.

The forward pass has one signature for every use:

* ``model(ids)`` -- no cache: a full causal pass, logits for every position (training-style).
* ``model(ids, cache=c)`` -- prefill (T > 1) or decode (T = 1): the new tokens' keys and values are
  written into ``c`` (see engine.core.kv_cache.KVCacheProtocol) and attention reads everything the cache holds.
* ``positions`` -- explicit absolute positions ``[B, T]`` for RoPE; left-padded batches need them
  because row b's first real token sits at a different column than row a's. By default the
  positions continue from ``cache.seq_len``.

Weights are stored fused for speed on small batches: ``qkv`` is one (H + 2 Hkv) * D x C matrix and
``gate_up`` one 2 * d_ff x C matrix, so a decode step launches 2 matmuls where 5 would do the same
work. Checkpoints keep the unfused names (q_proj, k_proj, ...); ``Transformer.from_state_dict``
fuses them.
"""
from __future__ import annotations

import math
from contextlib import contextmanager

import torch
import torch.nn.functional as F
from torch import nn

from engine.core.attention import attention
from engine.core.config import ModelConfig
from engine.core.kv_cache import KVCacheProtocol


class RMSNorm(nn.Module):
    """x / rms(x) * weight, computed in float32 (as HF does) so half-precision runs stay stable."""

    def __init__(self, dim: int, eps: float):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dtype == torch.float32:
            # One fused kernel; bit-identical to the three-step version below for float32.
            return F.rms_norm(x, self.weight.shape, self.weight, self.eps)
        normed = F.rms_norm(x.float(), self.weight.shape, None, self.eps)
        return self.weight * normed.to(x.dtype)


class Linear(nn.Linear):
    """nn.Linear with an optional faster kernel for the calls it can take (Transformer.set_linear_kernel).

    ``kernel(x, weight)`` returns y or None when it cannot take x (too many rows, another dtype or
    device), and F.linear runs then. None by default: a model built here multiplies like torch.
    """

    kernel = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.kernel is not None:
            y = self.kernel(x, self.weight)
            if y is not None:
                return y
        return F.linear(x, self.weight, self.bias)


class RotaryEmbedding(nn.Module):
    """RoPE tables for every position up to max_seq_len, in the "rotate_half" layout.

    Each head's D dims are split into two halves; dim i and dim i + D/2 rotate together by
    angle position * theta^(-2i/D). Precomputing cos/sin once makes a decode step a slice.
    """

    def __init__(self, head_dim: int, max_seq_len: int, theta: float):
        super().__init__()
        inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.int64).float() / head_dim))  # [D/2]
        t = torch.arange(max_seq_len, dtype=torch.float32)
        freqs = torch.outer(t, inv_freq)  # [max_seq_len, D/2]
        # Not persistent: derived from the config, so checkpoints need not carry them.
        self.register_buffer("cos", torch.cat((freqs, freqs), dim=-1).cos(), persistent=False)  # [max_seq_len, D]
        # sin with the first half negated: folds rotate_half's minus sign into the table (see apply_rope).
        self.register_buffer("sin", torch.cat((-freqs.sin(), freqs.sin()), dim=-1), persistent=False)

    def tables(self, start: int, length: int, positions: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        """cos/sin shaped to broadcast over [B, H, T, D]: a view when positions are contiguous."""
        if positions is None:
            return self.cos[start : start + length], self.sin[start : start + length]  # [T, D]
        return self.cos[positions].unsqueeze(1), self.sin[positions].unsqueeze(1)  # [B, 1, T, D]


def apply_rope(x: torch.Tensor, cos: torch.Tensor, signed_sin: torch.Tensor) -> torch.Tensor:
    """x * cos + rotate_half(x) * sin, with rotate_half(x) = (-x2, x1) for halves (x1, x2).

    Rolling by D/2 gives (x2, x1); the minus sign lives in ``signed_sin``. Negating before or
    after the multiply is exact in floating point, so this matches HF bit for bit with 4 kernel
    launches instead of 7 (it runs 60 times per decode step).
    """
    return x * cos + x.roll(x.shape[-1] // 2, dims=-1) * signed_sin


class Attention(nn.Module):
    def __init__(self, config: ModelConfig, layer_idx: int):
        super().__init__()
        self.layer_idx = layer_idx
        self.n_heads, self.n_kv_heads, self.head_dim = config.n_heads, config.n_kv_heads, config.head_dim
        self.q_size = config.n_heads * config.head_dim
        self.kv_size = config.n_kv_heads * config.head_dim
        self.qkv = Linear(config.d_model, self.q_size + 2 * self.kv_size, bias=False)
        self.o_proj = Linear(self.q_size, config.d_model, bias=False)
        self.window = config.sliding_window
        self.scale = 1.0 / math.sqrt(self.head_dim)  # what engine.core.attention uses by default
        self.backend = "sdpa"  # any engine.core.attention backend; Transformer.set_attention_backend switches all layers
        # A faster lone-query kernel for decode, (q, k, v, scale) -> [B, 1, H * D] or None when it cannot take
        # the inputs. None here: the float32 path keeps SDPA, whose sums match HF's bit for bit; the native
        # path (engine.core.quant_linear) installs its C kernel, which adds in another order.
        self.one_query = None
        # Likewise a RoPE kernel, (qkv, heads, D, cos, sin) -> True when it rotated the q/k heads of qkv in place.
        self.rope_in_place = None

    def forward(
        self,
        x: torch.Tensor,  # [B, T, C]
        cos: torch.Tensor,
        sin: torch.Tensor,
        cache: KVCacheProtocol | None,
        key_padding_mask: torch.Tensor | None,
    ) -> torch.Tensor:
        B, T, _ = x.shape
        qkv = self.qkv(x)  # [B, T, (H + 2 Hkv) D]
        rotated = self.rope_in_place is not None and self.rope_in_place(qkv, self.n_heads + self.n_kv_heads, self.head_dim, cos, sin)
        qk, v = qkv.split((self.q_size + self.kv_size, self.kv_size), dim=-1)
        qk = qk.view(B, T, self.n_heads + self.n_kv_heads, self.head_dim).transpose(1, 2)
        if not rotated:
            # Rotate queries and keys in one go: they are adjacent heads of the fused projection.
            qk = apply_rope(qk, cos, sin)
        q, k = qk.split((self.n_heads, self.n_kv_heads), dim=1)  # [B, H, T, D], [B, Hkv, T, D]
        v = v.view(B, T, self.n_kv_heads, self.head_dim).transpose(1, 2)  # [B, Hkv, T, D]
        window = self.window
        if cache is not None:
            k, v = cache.update(self.layer_idx, k, v)  # [B, Hkv, S, D]: everything this layer may attend to
            window = _narrowest(window, cache.attention_window)
        # Queries are the last T of the S key positions, so one causal flag covers prefill and decode.
        causal = True
        if T == 1 and (window is None or k.shape[2] <= window):
            # A lone query at the newest position sees every key it is given: the mask would be all
            # True, so skip building it (30 layers x every decode step).
            causal, window = False, None
            if self.backend == "sdpa" and key_padding_mask is None:
                # The decode hot path: exactly the call engine.attention's sdpa backend makes for these
                # inputs, minus re-validating shapes this module built itself (~20 Python checks a layer).
                if self.one_query is not None:
                    y = self.one_query(q, k, v, self.scale)
                    if y is not None:
                        return self.o_proj(y)
                with _one_thread():
                    y = F.scaled_dot_product_attention(q, k, v, scale=self.scale, enable_gqa=self.n_heads != self.n_kv_heads)
                return self.o_proj(y.transpose(1, 2).reshape(B, T, self.q_size))
        y = attention(
            q, k, v, causal=causal, window=window, key_padding_mask=key_padding_mask, backend=self.backend
        )  # [B, H, T, D]
        return self.o_proj(y.transpose(1, 2).reshape(B, T, self.q_size))


@contextmanager
def _one_thread():
    """Run the enclosed ops on the calling thread only.

    A lone query's attention (9 heads x a few hundred keys) is microseconds of work; split across
    threads, it has to wait for a second thread at the end, and on a busy machine that thread is
    often not running: measured with neighbours at load 5 on 2 cores, SDPA's 90th-percentile time
    went from 24 us on one thread to 16 ms on two. Each head is computed by one thread either way,
    so the result is bit-identical.
    """
    threads = torch.get_num_threads()
    if threads == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _narrowest(a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    return a if b is None else min(a, b)


class SwiGLU(nn.Module):
    """down(silu(gate(x)) * up(x)), with gate and up fused into one matmul."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.d_ff = config.d_ff
        self.gate_up = Linear(config.d_model, 2 * config.d_ff, bias=False)
        self.down_proj = Linear(config.d_ff, config.d_model, bias=False)
        # True when down_proj takes gate_up's output whole and computes silu(gate) * up itself (the
        # native path's QuantLinear.fold_glu); a plain Linear never does.
        self.glu_in_down = False

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.glu_in_down:
            return self.down_proj(self.gate_up(x))
        gate, up = self.gate_up(x).split(self.d_ff, dim=-1)  # [B, T, d_ff] each
        return self.down_proj(F.silu(gate) * up)


class Block(nn.Module):
    """Pre-norm residual block: x + attn(norm(x)), then x + mlp(norm(x))."""

    def __init__(self, config: ModelConfig, layer_idx: int):
        super().__init__()
        self.attn_norm = RMSNorm(config.d_model, config.norm_eps)
        self.attn = Attention(config, layer_idx)
        self.mlp_norm = RMSNorm(config.d_model, config.norm_eps)
        self.mlp = SwiGLU(config)

    def forward(self, x, cos, sin, cache, key_padding_mask):
        x = x + self.attn(self.attn_norm(x), cos, sin, cache, key_padding_mask)
        return x + self.mlp(self.mlp_norm(x))


class Transformer(nn.Module):
    def __init__(self, config: ModelConfig):
        super().__init__()
        if config.mlp != "swiglu" or config.positions != "rope":
            raise ValueError("the engine runs LLaMA-shaped models only (mlp='swiglu', positions='rope')")
        self.config = config
        self.embed = nn.Embedding(config.vocab_size, config.d_model)
        self.layers = nn.ModuleList(Block(config, i) for i in range(config.n_layers))
        self.norm = RMSNorm(config.d_model, config.norm_eps)
        self.lm_head = Linear(config.d_model, config.vocab_size, bias=False)
        if config.tie_embeddings:
            self.lm_head.weight = self.embed.weight
        self.rope = RotaryEmbedding(config.head_dim, config.max_seq_len, config.rope_theta)
        # A faster route through every layer for a decode step, (x, cos, sin, cache, positions, key_padding_mask)
        # -> x or None when it cannot take the inputs. None here; the native path installs its C step
        # (engine.core.native_step), which runs the blocks' own kernels in their order.
        self.decode_layers = None

    def set_attention_backend(self, backend: str) -> Transformer:
        """Route every layer's attention through another engine.core.attention backend (naive, tiled, triton...)."""
        from engine.core.attention import BACKENDS

        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
        for block in self.layers:
            block.attn.backend = backend
        return self

    def set_linear_kernel(self, kernel) -> Transformer:
        """Route every bias-free Linear through ``kernel(x, weight) -> y or None`` (None: F.linear), or back to F.linear with None."""
        for module in self.modules():
            if isinstance(module, Linear) and module.bias is None:
                module.kernel = kernel
        return self

    def use_cpu_decode_linears(self) -> Transformer:
        """A decode step's float32 matmuls in C (engine.kernels.quant_cpu.f32_linear); load_model calls it on the CPU.

        A step's 121 matmuls read each weight once, and the kernel reads them faster than MKL's sgemv
        (engine/README.md, "The float32 path on a CPU"). Prefill-sized inputs and other dtypes keep F.linear.
        """
        from engine.kernels.quant_cpu import f32_linear

        return self.set_linear_kernel(f32_linear)

    # The final norm's weight, not the embedding's: with weights="gguf" the table is int8 blocks.
    @property
    def device(self) -> torch.device:
        return self.norm.weight.device

    @property
    def dtype(self) -> torch.dtype:
        return self.norm.weight.dtype

    def forward(
        self,
        input_ids: torch.Tensor,  # [B, T]
        positions: torch.Tensor | None = None,  # [B, T] absolute positions; default: continue the cache
        cache: KVCacheProtocol | None = None,
        key_padding_mask: torch.Tensor | None = None,  # [B, S], passed to engine.core.attention.attention
        last_token_only: bool = False,  # prefill for generation needs only the last position's logits
    ) -> torch.Tensor:
        T = input_ids.shape[1]  # input_ids: [B, T]
        start = cache.seq_len if cache is not None else 0
        if positions is None and start + T > self.config.max_seq_len:
            raise ValueError(f"sequence length {start + T} exceeds max_seq_len ({self.config.max_seq_len})")
        cos, sin = self.rope.tables(start, T, positions)
        x = self.embed(input_ids)  # [B, T, C]
        fast = self.decode_layers(x, cos, sin, cache, positions, key_padding_mask) if self.decode_layers is not None else None
        if fast is not None:
            x = fast
        else:
            for block in self.layers:
                x = block(x, cos, sin, cache, key_padding_mask)
        if cache is not None:
            cache.advance(T)
        if last_token_only:
            x = x[:, -1:]
        return self.lm_head(self.norm(x))  # [B, T or 1, V]

    # ---- building from checkpoints -------------------------------------------------------------

    @classmethod
    def from_state_dict(cls, config: ModelConfig, state: dict[str, torch.Tensor]) -> Transformer:
        """Build from unfused engine-named weights (q_proj/k_proj/v_proj, gate_proj/up_proj)."""
        with torch.device("meta"):
            model = cls(config)
        model.load_state_dict(fuse_projections(state, config), strict=True, assign=True)
        if config.tie_embeddings:
            model.lm_head.weight = model.embed.weight
        # Buffers were created on the meta device; rebuild the RoPE tables for real.
        model.rope = RotaryEmbedding(config.head_dim, config.max_seq_len, config.rope_theta)
        return model.eval().requires_grad_(False)


def fuse_projections(state: dict, config: ModelConfig, cat=lambda ts: torch.cat(ts, dim=0)) -> dict:
    """Concatenate q/k/v into ``attn.qkv`` and gate/up into ``mlp.gate_up`` (rows stacked in that order).

    ``cat`` stacks rows; engine.core.quant_linear passes one that also stacks GGUF block tensors.
    """
    fused = dict(state)
    for i in range(config.n_layers):
        p = f"layers.{i}."
        fused[p + "attn.qkv.weight"] = cat([fused.pop(p + f"attn.{name}.weight") for name in ("q_proj", "k_proj", "v_proj")])
        fused[p + "mlp.gate_up.weight"] = cat([fused.pop(p + f"mlp.{name}.weight") for name in ("gate_proj", "up_proj")])
    if config.tie_embeddings:
        fused.pop("lm_head.weight", None)
        fused["lm_head.weight"] = fused["embed.weight"]
    return fused


def hf_llama_to_engine(hf_state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Rename a HF ``LlamaForCausalLM`` / ``MistralForCausalLM`` state dict to unfused engine names."""
    renames = {
        "model.embed_tokens.": "embed.",
        "model.norm.": "norm.",
        "self_attn.": "attn.",
        "input_layernorm.": "attn_norm.",
        "post_attention_layernorm.": "mlp_norm.",
        "model.layers.": "layers.",
    }
    out = {}
    for key, value in hf_state.items():
        if "rotary_emb" in key:
            continue
        for old, new in renames.items():
            key = key.replace(old, new)
        out[key] = value
    return out


def init_weights(model: Transformer, seed: int = 0) -> Transformer:
    """GPT-2-style random init (normal, std 0.02; norms at 1), reproducible from ``seed``."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if name.endswith("norm.weight"):
                param.fill_(1.0)
            else:
                param.copy_(torch.randn(param.shape, generator=generator) * 0.02)
    # An inference engine: no autograd graph, and caches may write activations in place.
    return model.eval().requires_grad_(False)
