"""A paged KV cache: a shared pool of fixed-size blocks, handed out to sequences on demand.

Why: a contiguous cache must reserve ``max_seq_len`` tokens per sequence up front, and most of
that reservation is never written (short answers, early stops). Here memory is allocated one
block at a time as a sequence grows, so the only waste is the unfilled tail of each sequence's
last block (internal fragmentation, under one block per sequence).

Pieces, in reading order:

``BlockAllocator``
    Free list + reference counts. A block is free exactly when its count is 0; freeing a free
    block is a bug and raises.
``PrefixCache``
    Maps the *content* of a full block (its tokens and everything before it, as a chained hash)
    to the block holding its keys/values, so a later request with the same prefix (a shared
    system prompt) reuses them instead of recomputing. The cache holds one reference of its own;
    blocks nobody else uses are evicted least-recently-used when the pool runs dry.
``PagedKVCache``
    The pool tensors plus per-sequence block tables. ``reserve`` makes room for new tokens
    (allocating, or copying a shared last block first: copy-on-write), ``fork`` shares a whole
    sequence, ``free`` releases one. ``plan_step`` turns a batch of (sequence, new tokens) into a
    ``PagedStep``, the object the model's attention layers call ``update`` on.

A full block is immutable once shared, so sharing needs copy-on-write only for a partly filled
last block, which happens after ``fork`` (parallel samples of one prompt).
"""
from __future__ import annotations

import math
from collections import OrderedDict, deque
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import torch

from engine.core.config import ModelConfig
from engine.serving.paged_attention import PAD_SLOT, gather_kv, scatter_kv, token_slots


class PoolExhausted(RuntimeError):
    """No free block is left (after evicting unused prefix-cache blocks)."""


class BlockAllocator:
    """Hands out block ids 0..num_blocks-1 and counts references to each."""

    def __init__(self, num_blocks: int):
        if num_blocks < 1:
            raise ValueError(f"num_blocks must be at least 1, got {num_blocks}")
        self.num_blocks = num_blocks
        self._free: deque[int] = deque(range(num_blocks))
        self.ref_counts = [0] * num_blocks

    @property
    def num_free(self) -> int:
        return len(self._free)

    @property
    def num_used(self) -> int:
        return self.num_blocks - len(self._free)

    def allocate(self) -> int:
        if not self._free:
            raise PoolExhausted("no free KV block left")
        block = self._free.popleft()
        self.ref_counts[block] = 1
        return block

    def incref(self, block: int) -> None:
        if self.ref_counts[block] < 1:
            raise RuntimeError(f"block {block} is free; only an allocated block can be shared")
        self.ref_counts[block] += 1

    def decref(self, block: int) -> bool:
        """Drop one reference; returns True when that was the last one and the block is free again."""
        if self.ref_counts[block] < 1:
            raise RuntimeError(f"block {block} freed twice")
        self.ref_counts[block] -= 1
        if self.ref_counts[block] == 0:
            self._free.append(block)
            return True
        return False

    def check(self) -> None:
        """Assert the bookkeeping is consistent: each block is free xor referenced, listed once."""
        free = list(self._free)
        assert len(free) == len(set(free)), "a block is on the free list twice"
        for block, count in enumerate(self.ref_counts):
            assert count >= 0, f"block {block} has a negative count"
            assert (count == 0) == (block in set(free)), f"block {block}: count {count} disagrees with the free list"


def block_key(parent: Hashable | None, tokens: Sequence[int]) -> Hashable:
    """Identity of a full block: its tokens plus (the hash of) everything before them.

    Keys compare the tokens exactly; only the parent is summarised by Python's 64-bit tuple hash.
    """
    return (hash(parent), tuple(tokens))


class PrefixCache:
    """Full blocks indexed by content, least recently used first. Owns one reference per block."""

    def __init__(self, allocator: BlockAllocator):
        self.allocator = allocator
        self._blocks: OrderedDict[Hashable, int] = OrderedDict()
        self.hits = 0  # blocks reused
        self.lookups = 0

    def __len__(self) -> int:
        return len(self._blocks)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._blocks

    def lookup(self, key: Hashable) -> int | None:
        self.lookups += 1
        block = self._blocks.get(key)
        if block is not None:
            self._blocks.move_to_end(key)
            self.hits += 1
        return block

    def insert(self, key: Hashable, block: int) -> None:
        if key not in self._blocks:
            self.allocator.incref(block)
            self._blocks[key] = block

    def evictable(self) -> int:
        return sum(1 for b in self._blocks.values() if self.allocator.ref_counts[b] == 1)

    def evict_one(self) -> bool:
        """Free the least recently used block that no sequence holds; False if there is none."""
        for key, block in self._blocks.items():
            if self.allocator.ref_counts[block] == 1:
                del self._blocks[key]
                self.allocator.decref(block)
                return True
        return False

    def clear(self) -> None:
        for block in self._blocks.values():
            self.allocator.decref(block)
        self._blocks.clear()


@dataclass
class SequenceBlocks:
    table: list[int]  # block ids in token order
    length: int  # tokens with a reserved slot
    tokens: list[int]  # their ids (for the prefix cache keys)
    keys: list[Hashable]  # block_key of each full block registered so far


@dataclass(frozen=True)
class MemoryStats:
    blocks_total: int
    blocks_used: int  # referenced by a sequence or the prefix cache
    blocks_cached_only: int  # held only by the prefix cache (reclaimable)
    tokens_stored: int  # distinct token slots written (shared blocks count once)
    slots_used: int  # blocks_used * block_size
    block_bytes: int

    @property
    def fragmentation(self) -> float:
        """Fraction of slots in used blocks that hold no token (the unfilled tails)."""
        return 1 - self.tokens_stored / self.slots_used if self.slots_used else 0.0

    def as_dict(self) -> dict[str, float]:
        return {
            "blocks_total": self.blocks_total,
            "blocks_used": self.blocks_used,
            "blocks_cached_only": self.blocks_cached_only,
            "tokens_stored": self.tokens_stored,
            "bytes_used": self.blocks_used * self.block_bytes,
            "bytes_reserved": self.blocks_total * self.block_bytes,
            "fragmentation": self.fragmentation,
        }


class PagedKVCache:
    """A pool of ``num_blocks`` blocks of ``block_size`` tokens for every layer, plus block tables.

    Storage: ``[layers, 2 (K, V), num_blocks * block_size, Hkv, D]``; a block is ``block_size``
    consecutive slots. With ``allocate_storage=False`` only the bookkeeping exists (for
    allocator experiments and property tests that need no tensors).
    """

    def __init__(
        self,
        config: ModelConfig,
        num_blocks: int,
        block_size: int = 16,
        dtype: torch.dtype = torch.float32,
        device: torch.device | str = "cpu",
        enable_prefix_cache: bool = True,
        allocate_storage: bool = True,
    ):
        if block_size < 1:
            raise ValueError(f"block_size must be at least 1, got {block_size}")
        self.config, self.block_size = config, block_size
        self.dtype, self.device = dtype, torch.device(device)
        self.allocator = BlockAllocator(num_blocks)
        self.prefix_cache = PrefixCache(self.allocator) if enable_prefix_cache else None
        self.sequences: dict[Hashable, SequenceBlocks] = {}
        self.copies_on_write = 0
        shape = (config.n_layers, 2, num_blocks * block_size, config.n_kv_heads, config.head_dim)
        self.storage = torch.zeros(shape, dtype=dtype, device=self.device) if allocate_storage else None

    # ---- sizes -----------------------------------------------------------------------------

    @property
    def num_blocks(self) -> int:
        return self.allocator.num_blocks

    @property
    def bytes_per_block(self) -> int:
        c = self.config
        return 2 * c.n_layers * self.block_size * c.n_kv_heads * c.head_dim * torch.empty((), dtype=self.dtype).element_size()

    def blocks_for(self, tokens: int) -> int:
        return math.ceil(tokens / self.block_size)

    def available_blocks(self) -> int:
        """Free blocks plus cached blocks that nobody holds (evicted on demand)."""
        return self.allocator.num_free + (self.prefix_cache.evictable() if self.prefix_cache else 0)

    def memory(self) -> MemoryStats:
        stored, counted = 0, set()
        for seq in self.sequences.values():
            for i, block in enumerate(seq.table):
                if block not in counted:
                    counted.add(block)
                    stored += min(self.block_size, seq.length - i * self.block_size)
        cached_only = self.prefix_cache.evictable() if self.prefix_cache else 0
        stored += cached_only * self.block_size
        used = self.allocator.num_used
        return MemoryStats(self.num_blocks, used, cached_only, stored, used * self.block_size, self.bytes_per_block)

    # ---- sequence lifecycle ----------------------------------------------------------------

    def _allocate(self) -> int:
        while self.allocator.num_free == 0:
            if self.prefix_cache is None or not self.prefix_cache.evict_one():
                raise PoolExhausted("no free KV block left")
        return self.allocator.allocate()

    def add_sequence(self, seq_id: Hashable, prompt: Sequence[int] = ()) -> int:
        """Start a sequence; reuse cached blocks of ``prompt``'s prefix. Returns the tokens reused.

        At least the last prompt token is always left to compute: its logits start generation.
        """
        if seq_id in self.sequences:
            raise ValueError(f"sequence {seq_id!r} already exists")
        seq = SequenceBlocks(table=[], length=0, tokens=[], keys=[])
        self.sequences[seq_id] = seq
        if self.prefix_cache is None:
            return 0
        parent: Hashable | None = None
        for start in range(0, len(prompt) - 1 - self.block_size + 1, self.block_size):
            chunk = [int(t) for t in prompt[start : start + self.block_size]]
            key = block_key(parent, chunk)
            block = self.prefix_cache.lookup(key)
            if block is None:
                break
            self.allocator.incref(block)
            seq.table.append(block)
            seq.keys.append(key)
            seq.tokens.extend(chunk)
            seq.length += self.block_size
            parent = key
        return seq.length

    def reserve(self, seq_id: Hashable, new_tokens: Sequence[int]) -> list[int]:
        """Make room for ``new_tokens`` at the end of the sequence; returns their pool slots.

        All or nothing: raises PoolExhausted without changing anything if the blocks are not there.
        """
        seq = self.sequences[seq_id]
        n = len(new_tokens)
        end = seq.length + n
        extra = self.blocks_for(end) - len(seq.table)
        last_shared = seq.length % self.block_size != 0 and self.allocator.ref_counts[seq.table[-1]] > 1
        if extra + last_shared > self.available_blocks():
            raise PoolExhausted(f"{extra + last_shared} blocks needed, {self.available_blocks()} available")
        if last_shared:
            self._copy_on_write(seq)
        for _ in range(extra):
            seq.table.append(self._allocate())
        slots = token_slots(seq.table, seq.length, end, self.block_size)
        seq.length = end
        seq.tokens.extend(int(t) for t in new_tokens)
        return slots

    def _copy_on_write(self, seq: SequenceBlocks) -> None:
        """The last block is shared and about to be written: give this sequence its own copy."""
        old = seq.table[-1]
        new = self._allocate()
        if self.storage is not None:
            bs = self.block_size
            self.storage[:, :, new * bs : (new + 1) * bs] = self.storage[:, :, old * bs : (old + 1) * bs]
        self.allocator.decref(old)
        seq.table[-1] = new
        self.copies_on_write += 1

    def mark_computed(self, seq_id: Hashable) -> None:
        """Keys/values of the reserved tokens are written: offer newly full blocks to the prefix cache."""
        if self.prefix_cache is None:
            return
        seq = self.sequences[seq_id]
        for i in range(len(seq.keys), seq.length // self.block_size):
            parent = seq.keys[-1] if seq.keys else None
            key = block_key(parent, seq.tokens[i * self.block_size : (i + 1) * self.block_size])
            self.prefix_cache.insert(key, seq.table[i])
            seq.keys.append(key)

    def fork(self, parent_id: Hashable, child_id: Hashable) -> None:
        """The child shares every block of the parent (parallel sampling); writes copy on demand."""
        if child_id in self.sequences:
            raise ValueError(f"sequence {child_id!r} already exists")
        parent = self.sequences[parent_id]
        for block in parent.table:
            self.allocator.incref(block)
        self.sequences[child_id] = SequenceBlocks(list(parent.table), parent.length, list(parent.tokens), list(parent.keys))

    def free(self, seq_id: Hashable) -> None:
        """Release a finished, cancelled or preempted sequence's blocks (cached ones stay cached)."""
        seq = self.sequences.pop(seq_id)
        for block in seq.table:
            self.allocator.decref(block)

    def length(self, seq_id: Hashable) -> int:
        return self.sequences[seq_id].length

    def check(self) -> None:
        """Every reference is accounted for: sequences' tables plus the prefix cache's own."""
        self.allocator.check()
        expected = [0] * self.num_blocks
        for seq in self.sequences.values():
            assert len(seq.table) == self.blocks_for(seq.length), "table size disagrees with the length"
            for block in seq.table:
                expected[block] += 1
        if self.prefix_cache is not None:
            for block in self.prefix_cache._blocks.values():
                expected[block] += 1
        assert expected == self.allocator.ref_counts, "reference counts disagree with the holders"

    # ---- one model step --------------------------------------------------------------------

    def plan_step(self, rows: Sequence[tuple[Hashable, int]]) -> tuple[PagedStep, torch.Tensor, torch.Tensor]:
        """A batched forward over ``rows`` = [(seq_id, new tokens already reserved)].

        Returns the step object (pass it as the model's ``cache``), the RoPE positions ``[B, T]``
        and the key-padding mask ``[B, S]``. Each row's new tokens are right-aligned in the T
        columns and its keys right-aligned in the S columns, so "queries are the last T of S
        keys" (the model's causal convention) holds for every row; pads are masked out and their
        keys/values never written.
        """
        # Vectorised over the batch: this runs every iteration, and per-token Python loops would
        # cost more than the tiny model's forward pass.
        bs = self.block_size
        new = torch.tensor([n for _, n in rows])[:, None]  # [B, 1]
        context = torch.tensor([self.sequences[s].length - n for s, n in rows])[:, None]
        width_new = int(new.max())
        width = width_new + int(context.max())
        tables = [self.sequences[s].table for s, _ in rows]
        table = torch.zeros((len(rows), max(len(t) for t in tables)), dtype=torch.long)
        for r, t in enumerate(tables):
            table[r, : len(t)] = torch.tensor(t, dtype=torch.long)

        col = torch.arange(width)[None, :]  # key columns
        old_pos = col - (width - width_new - context)  # cached tokens sit just left of the new block
        is_old = (old_pos >= 0) & (col < width - width_new)
        new_pos = context + col - (width - new)
        is_new = col >= width - new
        pos = torch.where(is_old, old_pos, torch.where(is_new, new_pos, 0))
        read = torch.where(is_old | is_new, table.gather(1, pos // bs) * bs + pos % bs, PAD_SLOT)
        query_col = col[:, :width_new]  # the T columns of new tokens
        real_query = query_col >= width_new - new  # [B, T]: right-aligned, pads on the left
        write = torch.where(real_query, read[:, width - width_new :], PAD_SLOT)
        positions = torch.where(real_query, context + query_col - (width_new - new), 0)
        mask = read >= 0
        step = PagedStep(self.storage, read.to(self.device), write.to(self.device))
        return step, positions.to(self.device), mask.to(self.device)


class PagedStep:
    """The ``cache`` the model sees for one batched forward: writes new K/V into the pool, reads through slots.

    Positions are always passed explicitly, so ``seq_len`` stays 0 and ``advance`` does nothing:
    the block tables, not this object, remember how long each sequence is.
    """

    seq_len = 0
    attention_window = None

    def __init__(self, storage: torch.Tensor, read_slots: torch.Tensor, write_slots: torch.Tensor):
        self.storage, self.read_slots, self.write_slots = storage, read_slots, write_slots

    def update(self, layer: int, k: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        keys, values = self.storage[layer, 0], self.storage[layer, 1]  # [num_slots, Hkv, D]
        scatter_kv(keys, self.write_slots, k)
        scatter_kv(values, self.write_slots, v)
        return gather_kv(keys, self.read_slots), gather_kv(values, self.read_slots)

    def advance(self, n: int) -> None:
        pass
