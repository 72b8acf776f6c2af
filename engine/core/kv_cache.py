"""KV caches: one declared interface (``KVCacheProtocol``), contiguous backends behind one base class, chosen by name.

Every attention layer calls ``cache.update(layer, k, v)`` with the keys/values of the tokens in
this forward pass (``[B, Hkv, T, D]``, RoPE already applied) and gets back everything the layer
may attend to (``[B, Hkv, S, D]``). The contract that keeps the model simple:

* the returned keys are in chronological order and end with the T new ones, so "queries are the
  last T of S positions" holds and one causal flag serves prefill and decode;
* the one exception is a full ring buffer during single-token decode (``sliding``): order is
  irrelevant there because a lone query attends to every key it is given;
* after all layers ran, the model calls ``advance(T)``; ``seq_len`` is then the number of
  positions processed so far (the next token's position).

That contract is ``KVCacheProtocol``, the type ``engine.core.model`` accepts; the contiguous caches
here and the paged cache's per-step view (``engine.serving.paged_kv_cache.PagedStep``) satisfy it.

Backends (``make_cache(kind, ...)``):

========  ==============================================================  ==========================
kind      storage                                                         memory
========  ==============================================================  ==========================
none      nothing: the caller recomputes the whole prefix every step      0
dynamic   per-layer tensors grown with ``torch.cat`` (allocates per step)  exactly the tokens held
static    preallocated ``[B, Hkv, S_max, D]`` buffers, written in place     S_max reserved up front
sliding   ring buffer of the last W tokens (Mistral-style window)          W tokens, constant
int8      static layout in int8 + one float scale per token per head        ~1/4 of float32 + scales
========  ==============================================================  ==========================
"""
from __future__ import annotations

from typing import ClassVar, Protocol, runtime_checkable

import torch

from engine.core.config import ModelConfig


@runtime_checkable
class KVCacheProtocol(Protocol):
    """What the model asks of a cache, whatever stores the keys and values."""

    seq_len: int  # positions processed so far: where RoPE continues when no positions are given

    @property
    def attention_window(self) -> int | None:
        """A window the cache imposes on attention (a ring buffer only holds the last W tokens), or None."""
        ...

    def update(self, layer: int, k: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Store this pass's ``[B, Hkv, T, D]`` keys/values; return all ``[B, Hkv, S, D]`` the layer may attend to."""
        ...

    def advance(self, n: int) -> None:
        """Called once after the last layer: ``n`` more positions are now processed."""
        ...


class KVCache:
    """Base class. Subclasses implement ``update``, ``bytes_in_use`` and ``bytes_reserved``."""

    kind: ClassVar[str] = ""
    # The "none" backend asks the generation loop to re-feed the whole sequence each step.
    recomputes_prefix: ClassVar[bool] = False

    def __init__(self, config: ModelConfig, batch: int, max_seq_len: int, dtype: torch.dtype, device: torch.device | str):
        if batch < 1:
            raise ValueError(f"batch must be at least 1, got {batch}")
        if not 1 <= max_seq_len <= config.max_seq_len:
            raise ValueError(f"max_seq_len must be between 1 and the model's {config.max_seq_len}, got {max_seq_len}")
        self.config, self.batch, self.max_seq_len = config, batch, max_seq_len
        self.dtype, self.device = dtype, torch.device(device)
        self.seq_len = 0

    @property
    def attention_window(self) -> int | None:
        """A window the cache itself imposes on attention (only ``sliding`` has one)."""
        return None

    def update(self, layer: int, k: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError

    def advance(self, n: int) -> None:
        self.seq_len += n

    def reset(self) -> None:
        self.seq_len = 0

    @property
    def bytes_in_use(self) -> int:
        """Bytes holding real tokens' keys and values (plus scales, for int8)."""
        raise NotImplementedError

    @property
    def bytes_reserved(self) -> int:
        """Bytes allocated for the cache, used or not."""
        raise NotImplementedError

    def _check_room(self, new_tokens: int) -> None:
        if self.seq_len + new_tokens > self.max_seq_len:
            raise ValueError(
                f"the {self.kind} cache holds at most {self.max_seq_len} tokens; "
                f"{self.seq_len} stored + {new_tokens} new would exceed it"
            )

    def _shape(self, tokens: int) -> tuple[int, int, int, int]:
        return (self.batch, self.config.n_kv_heads, tokens, self.config.head_dim)


class NoCache(KVCache):
    """The baseline: store nothing. Each step attends only over what was passed in."""

    kind = "none"
    recomputes_prefix = True

    def update(self, layer, k, v):
        return k, v

    def advance(self, n: int) -> None:
        # The caller re-feeds the whole prefix, so "positions processed" restarts every step.
        pass

    @property
    def bytes_in_use(self) -> int:
        return 0

    bytes_reserved = bytes_in_use


class DynamicCache(KVCache):
    """Concatenate new keys/values onto per-layer tensors: simple, but reallocates every step."""

    kind = "dynamic"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.keys: list[torch.Tensor | None] = [None] * self.config.n_layers
        self.values: list[torch.Tensor | None] = [None] * self.config.n_layers

    def update(self, layer, k, v):
        if layer == 0:
            self._check_room(k.shape[2])
        if self.keys[layer] is None:
            self.keys[layer], self.values[layer] = k.contiguous(), v.contiguous()
        else:
            self.keys[layer] = torch.cat([self.keys[layer], k], dim=2)
            self.values[layer] = torch.cat([self.values[layer], v], dim=2)
        return self.keys[layer], self.values[layer]

    def reset(self) -> None:
        super().reset()
        self.keys = [None] * self.config.n_layers
        self.values = [None] * self.config.n_layers

    @property
    def bytes_in_use(self) -> int:
        return sum(t.numel() * t.element_size() for t in self.keys + self.values if t is not None)

    bytes_reserved = bytes_in_use


class StaticCache(KVCache):
    """Preallocated buffers, written in place: no allocation per decode step (gpt-fast style)."""

    kind = "static"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # [layers, 2 (K, V), B, Hkv, S_max, D] in one allocation.
        self.buffer = torch.zeros((self.config.n_layers, 2, *self._shape(self.max_seq_len)), dtype=self.dtype, device=self.device)

    def update(self, layer, k, v):
        start, end = self.seq_len, self.seq_len + k.shape[2]
        if layer == 0:
            self._check_room(k.shape[2])
        keys, values = self.buffer[layer, 0], self.buffer[layer, 1]  # [B, Hkv, S_max, D]
        keys[:, :, start:end] = k
        values[:, :, start:end] = v
        return keys[:, :, :end], values[:, :, :end]

    @property
    def bytes_in_use(self) -> int:
        return self.buffer[:, :, :, :, : self.seq_len].numel() * self.buffer.element_size()

    @property
    def bytes_reserved(self) -> int:
        return self.buffer.numel() * self.buffer.element_size()


class SlidingWindowCache(KVCache):
    """A ring buffer of the last ``window`` tokens: memory stays constant however long generation runs.

    Token at absolute position p lives in slot ``p % window``. RoPE was applied before the keys
    were stored, so a key keeps its true position even though its slot is reused; attention is
    limited to the window so that decode sees exactly what prefill would have seen.
    """

    kind = "sliding"

    def __init__(self, config, batch, max_seq_len, dtype, device, window: int | None = None):
        super().__init__(config, batch, max_seq_len, dtype, device)
        window = window or config.sliding_window
        if window is None or window < 1:
            raise ValueError("window: the sliding cache needs a positive window (tokens kept), got " + repr(window))
        self.window = int(window)
        self.buffer = torch.zeros((config.n_layers, 2, *self._shape(self.window)), dtype=dtype, device=self.device)

    @property
    def attention_window(self) -> int | None:
        return self.window

    def _check_room(self, new_tokens: int) -> None:
        # Positions, not storage, are the limit: RoPE tables end at the model's max_seq_len.
        if self.seq_len + new_tokens > self.config.max_seq_len:
            raise ValueError(f"position {self.seq_len + new_tokens} is past the model's max_seq_len ({self.config.max_seq_len})")

    def _chronological(self, layer: int) -> tuple[torch.Tensor, torch.Tensor]:
        held = min(self.seq_len, self.window)
        keys, values = self.buffer[layer, 0], self.buffer[layer, 1]
        if self.seq_len <= self.window:
            return keys[:, :, :held], values[:, :, :held]
        shift = -(self.seq_len % self.window)  # oldest token's slot moves to index 0
        return keys.roll(shift, dims=2), values.roll(shift, dims=2)

    def update(self, layer, k, v):
        T = k.shape[2]
        if layer == 0:
            self._check_room(T)
        keys, values = self.buffer[layer, 0], self.buffer[layer, 1]  # [B, Hkv, W, D]
        if T == 1:
            slot = self.seq_len % self.window
            keys[:, :, slot : slot + 1] = k
            values[:, :, slot : slot + 1] = v
            held = min(self.seq_len + 1, self.window)
            return keys[:, :, :held], values[:, :, :held]
        # Prefill (or a chunk): attend over [older cached tokens, new tokens], then keep the last W.
        old_k, old_v = self._chronological(layer)
        all_k, all_v = torch.cat([old_k, k], dim=2), torch.cat([old_v, v], dim=2)
        keep = min(T, self.window)
        slots = torch.arange(self.seq_len + T - keep, self.seq_len + T, device=self.device) % self.window
        keys.index_copy_(2, slots, k[:, :, T - keep :])
        values.index_copy_(2, slots, v[:, :, T - keep :])
        return all_k, all_v

    @property
    def bytes_in_use(self) -> int:
        held = min(self.seq_len, self.window)
        return self.buffer[:, :, :, :, :held].numel() * self.buffer.element_size()

    @property
    def bytes_reserved(self) -> int:
        return self.buffer.numel() * self.buffer.element_size()


class Int8Cache(KVCache):
    """Static layout stored as int8 with a per-token, per-head absmax scale; dequantised on read.

    Each stored vector x (one token, one head, D values) becomes round(x / s) with s = max|x| / 127,
    so the error per element is at most s / 2. Reading costs a dequantisation of the whole prefix
    per layer per step: this trades compute for memory, which is the point of the demo.
    """

    kind = "int8"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        shape = (self.config.n_layers, 2, *self._shape(self.max_seq_len))
        self.quantized = torch.zeros(shape, dtype=torch.int8, device=self.device)
        self.scales = torch.zeros((*shape[:-1], 1), dtype=torch.float32, device=self.device)

    @staticmethod
    def quantize(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        scale = x.float().abs().amax(dim=-1, keepdim=True).clamp(min=1e-8) / 127.0  # [..., 1]
        return torch.round(x.float() / scale).clamp(-127, 127).to(torch.int8), scale

    def update(self, layer, k, v):
        start, end = self.seq_len, self.seq_len + k.shape[2]
        if layer == 0:
            self._check_room(k.shape[2])
        for i, x in enumerate((k, v)):
            q, s = self.quantize(x)
            self.quantized[layer, i, :, :, start:end] = q
            self.scales[layer, i, :, :, start:end] = s
        q_all = self.quantized[layer, :, :, :, :end]
        s_all = self.scales[layer, :, :, :, :end]
        k_all, v_all = (q_all.to(torch.float32) * s_all).to(self.dtype).unbind(0)
        return k_all, v_all

    @property
    def bytes_in_use(self) -> int:
        q = self.quantized[:, :, :, :, : self.seq_len]
        s = self.scales[:, :, :, :, : self.seq_len]
        return q.numel() * q.element_size() + s.numel() * s.element_size()

    @property
    def bytes_reserved(self) -> int:
        return self.quantized.numel() * self.quantized.element_size() + self.scales.numel() * self.scales.element_size()


CACHE_TYPES: dict[str, type[KVCache]] = {
    cls.kind: cls for cls in (NoCache, DynamicCache, StaticCache, SlidingWindowCache, Int8Cache)
}


def make_cache(
    kind: str,
    config: ModelConfig,
    batch: int = 1,
    max_seq_len: int | None = None,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str = "cpu",
    window: int | None = None,
) -> KVCache:
    """Build a cache by name. ``window`` is only meaningful for ``sliding``."""
    try:
        cls = CACHE_TYPES[kind]
    except KeyError:
        raise ValueError(f"cache: unknown cache type {kind!r}; choose one of {', '.join(CACHE_TYPES)}") from None
    max_seq_len = max_seq_len or config.max_seq_len
    if cls is SlidingWindowCache:
        return cls(config, batch, max_seq_len, dtype, device, window=window)
    if window is not None:
        raise ValueError(f"window: only the sliding cache takes a window, not {kind!r}")
    return cls(config, batch, max_seq_len, dtype, device)
