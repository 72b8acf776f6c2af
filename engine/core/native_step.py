"""The native path's decode step with every layer in one C call (``quant_cpu.native_decode_layers``).

Why: on the module route a SmolLM2 decode step makes 121 kernel calls, ~8 ms of C, with ~4 ms of
Python between them (30 blocks x module calls, views, the cache's slicing: ~140 us a layer), which
was more than the whole gap to llama.cpp. The C step walks a table of each layer's four matmuls (the
same bound kernels, block pointers, folded norms and thread counts the modules use) and does in C what
the blocks do between them: RoPE, the cache write, one query's attention, the residual adds. Same
kernels, same order, so the logits equal the module route's bit for bit.

It takes only the plain decode case: one new token per row, at most ``max_rows`` rows (where the modules use the same C kernels), a float32
``StaticCache`` (the generation loop's default), no per-row positions or padding mask, no sliding
window in reach, a head size that is a multiple of 32, every layer on the default attention backend, the model on the CPU with the C
library built. For anything else ``__call__`` returns None and the model runs its blocks, which stay
the reference.
"""
from __future__ import annotations

import ctypes
from typing import TYPE_CHECKING

import torch

from engine.core.kv_cache import StaticCache
from engine.kernels import quant_cpu

if TYPE_CHECKING:
    from engine.core.model import Transformer


class NativeDecodeLayers:
    """``model.decode_layers`` for a native model: (x, cos, sin, cache, positions, mask) -> x after every layer, or None."""

    def __init__(self, model: Transformer, max_rows: int):
        self.blocks, self.max_rows = list(model.layers), max_rows
        self.config = model.config
        first = model.layers[0].attn
        self.heads, self.kv_heads, self.head_dim, self.scale = first.n_heads, first.n_kv_heads, first.head_dim, first.scale
        self._kernels: list[quant_cpu.BoundMatmul] = []
        self._threads = 0
        self._table: ctypes.Array | None = None

    def _matrices(self, block) -> tuple:
        return block.attn.qkv, block.attn.o_proj, block.mlp.gate_up, block.mlp.down_proj

    def _current_table(self) -> ctypes.Array:
        """The layers' table, rebuilt when a layer's kernel changed (activations switched, blocks moved) or the thread count did."""
        kernels = [m.cpu_kernel() for block in self.blocks for m in self._matrices(block)]
        threads = torch.get_num_threads()
        if self._table is None or threads != self._threads or any(a is not b for a, b in zip(kernels, self._kernels)):
            matrices = [k.native_matrix() for k in kernels]
            self._table = (quant_cpu.NativeLayer * len(self.blocks))(
                *(quant_cpu.NativeLayer(*matrices[4 * i: 4 * i + 4]) for i in range(len(self.blocks)))
            )
            self._kernels, self._threads = kernels, threads
        return self._table

    def _can_take(self, x, cos, sin, cache, positions, key_padding_mask) -> bool:
        window = self.config.sliding_window
        return (
            type(cache) is StaticCache and cache.buffer.dtype == torch.float32 and cache.buffer.device.type == "cpu"
            and x.dtype == torch.float32 and x.device.type == "cpu" and x.shape[1] == 1
            and x.shape[0] == cache.batch and x.shape[0] <= self.max_rows
            and positions is None and key_padding_mask is None
            and (window is None or cache.seq_len + 1 <= window)
            and cos.dim() == 2 and cos.dtype == torch.float32 and cos.is_contiguous() and sin.is_contiguous()
            and self.head_dim % 32 == 0  # the C attention's loops (quant_cpu.attend_one_query checks the same)
            and all(block.attn.backend == "sdpa" and block.attn.one_query is not None for block in self.blocks)
            and all(m.glu == (m is block.mlp.down_proj) for block in self.blocks for m in self._matrices(block))
            and quant_cpu.library() is not None
        )

    def __call__(self, x, cos, sin, cache, positions, key_padding_mask) -> torch.Tensor | None:
        if not self._can_take(x, cos, sin, cache, positions, key_padding_mask):
            return None
        cache._check_room(1)  # what StaticCache.update checks at layer 0
        table = self._current_table()
        x = x.contiguous().clone()  # the residual stream, updated in place
        B, _, C = x.shape
        quant_cpu.library().native_decode_layers(
            ctypes.addressof(table), len(self.blocks), x.data_ptr(), B, C, cache.buffer.data_ptr(), cache.max_seq_len,
            cache.seq_len, self.heads, self.kv_heads, self.head_dim, self.scale, cos.data_ptr(), sin.data_ptr(),
        )
        return x
