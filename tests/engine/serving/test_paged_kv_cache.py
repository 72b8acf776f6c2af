"""engine.serving.paged_kv_cache: block accounting under random workloads, prefix reuse, copy-on-write."""
from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.core.config import ModelConfig
from engine.serving.paged_kv_cache import BlockAllocator, PagedKVCache, PoolExhausted

TINY = ModelConfig(vocab_size=32, d_model=16, n_layers=2, n_heads=2, n_kv_heads=1, d_ff=32, max_seq_len=512)


def bookkeeping_cache(num_blocks: int, block_size: int, prefix_cache: bool = True) -> PagedKVCache:
    return PagedKVCache(TINY, num_blocks, block_size, enable_prefix_cache=prefix_cache, allocate_storage=False)


class TestBlockAllocator:
    def test_it_hands_out_every_block_once_then_refuses(self):
        allocator = BlockAllocator(3)
        assert sorted(allocator.allocate() for _ in range(3)) == [0, 1, 2]
        with pytest.raises(PoolExhausted):
            allocator.allocate()

    def test_a_double_free_raises(self):
        allocator = BlockAllocator(2)
        block = allocator.allocate()
        assert allocator.decref(block) is True
        with pytest.raises(RuntimeError, match="freed twice"):
            allocator.decref(block)

    def test_a_shared_block_is_free_only_after_its_last_reference(self):
        allocator = BlockAllocator(2)
        block = allocator.allocate()
        allocator.incref(block)
        assert allocator.decref(block) is False
        assert allocator.num_free == 1
        assert allocator.decref(block) is True
        assert allocator.num_free == 2

    def test_num_blocks_must_be_positive(self):
        with pytest.raises(ValueError, match="num_blocks must be at least 1"):
            BlockAllocator(0)


# One action of a random workload: (kind, sequence index, tokens).
actions = st.lists(
    st.tuples(
        st.sampled_from(["add", "append", "fork", "free", "free_all_and_readd"]),
        st.integers(0, 5),
        st.lists(st.integers(0, 3), min_size=1, max_size=9),  # a tiny vocabulary makes prefix hits common
    ),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(actions=actions, block_size=st.sampled_from([1, 2, 4]), num_blocks=st.integers(1, 12), prefix=st.booleans())
def test_random_workloads_never_leak_or_double_free(actions, block_size, num_blocks, prefix):
    cache = bookkeeping_cache(num_blocks, block_size, prefix)
    for kind, index, tokens in actions:
        name = f"s{index}"
        live = name in cache.sequences
        try:
            if kind == "add" and not live:
                cached = cache.add_sequence(name, tokens)
                assert cached % block_size == 0 and cached < len(tokens)
                cache.reserve(name, tokens[cached:])
                cache.mark_computed(name)
            elif kind == "append" and live:
                cache.reserve(name, tokens)
                cache.mark_computed(name)
            elif kind == "fork" and live and f"{name}f" not in cache.sequences:
                cache.fork(name, f"{name}f")
            elif kind == "free" and live:
                cache.free(name)
            elif kind == "free_all_and_readd":
                for seq in list(cache.sequences):
                    cache.free(seq)
        except PoolExhausted:
            pass  # all-or-nothing: the checks below prove nothing changed half-way
        cache.check()
        stats = cache.memory()
        assert stats.blocks_used <= num_blocks
        assert 0.0 <= stats.fragmentation < 1.0
    for seq in list(cache.sequences):
        cache.free(seq)
    if cache.prefix_cache is not None:
        cache.prefix_cache.clear()
    cache.check()
    assert cache.allocator.num_free == num_blocks


def test_a_failed_reserve_changes_nothing():
    cache = bookkeeping_cache(num_blocks=2, block_size=4, prefix_cache=False)
    cache.add_sequence("a")
    cache.reserve("a", [1, 2, 3, 4, 5])
    with pytest.raises(PoolExhausted):
        cache.reserve("a", [6, 7, 8, 9])
    assert cache.length("a") == 5 and len(cache.sequences["a"].table) == 2
    cache.check()


def test_a_second_request_reuses_the_full_blocks_of_a_shared_prefix():
    cache = bookkeeping_cache(num_blocks=8, block_size=4)
    system = [1, 2, 3, 4, 5, 6, 7, 8]
    cache.add_sequence("a", system + [9])
    cache.reserve("a", system + [9])
    cache.mark_computed("a")
    assert cache.add_sequence("b", system + [10, 11]) == 8
    assert cache.sequences["b"].table == cache.sequences["a"].table[:2]
    assert cache.prefix_cache.hits == 2
    cache.check()


def test_the_last_prompt_token_is_always_computed():
    cache = bookkeeping_cache(num_blocks=8, block_size=4)
    prompt = [1, 2, 3, 4, 5, 6, 7, 8]
    cache.add_sequence("a", prompt)
    cache.reserve("a", prompt)
    cache.mark_computed("a")
    # Both blocks are cached, but reusing the second would leave no token to produce logits from.
    assert cache.add_sequence("b", prompt) == 4


def test_cached_blocks_nobody_holds_are_evicted_when_the_pool_runs_dry():
    cache = bookkeeping_cache(num_blocks=2, block_size=2)
    cache.add_sequence("a")
    cache.reserve("a", [1, 2, 3, 4])
    cache.mark_computed("a")
    cache.free("a")
    assert cache.allocator.num_free == 0 and cache.available_blocks() == 2
    cache.add_sequence("b")
    cache.reserve("b", [5, 6, 7])
    assert len(cache.prefix_cache) == 0
    cache.check()


def test_fork_shares_blocks_and_the_first_divergent_write_copies_the_last_one():
    cache = PagedKVCache(TINY, num_blocks=6, block_size=4, enable_prefix_cache=False)
    cache.add_sequence("parent")
    cache.reserve("parent", [1, 2, 3, 4, 5, 6])
    cache.storage.normal_()
    cache.fork("parent", "child")
    shared_last = cache.sequences["parent"].table[-1]
    assert cache.allocator.ref_counts[shared_last] == 2
    before = cache.storage[:, :, shared_last * 4 : shared_last * 4 + 2].clone()
    cache.reserve("child", [7])
    child_last = cache.sequences["child"].table[-1]
    assert child_last != shared_last and cache.copies_on_write == 1
    assert cache.sequences["child"].table[0] == cache.sequences["parent"].table[0]  # the full block stays shared
    torch.testing.assert_close(cache.storage[:, :, child_last * 4 : child_last * 4 + 2], before)
    cache.reserve("parent", [8])  # now the parent's block is its own again: no second copy
    assert cache.copies_on_write == 1
    cache.check()


def test_memory_stats_count_shared_blocks_once_and_measure_the_unfilled_tail():
    cache = bookkeeping_cache(num_blocks=10, block_size=4, prefix_cache=False)
    cache.add_sequence("a")
    cache.reserve("a", list(range(5)))  # 2 blocks, 3 empty slots
    cache.fork("a", "b")
    stats = cache.memory()
    assert (stats.blocks_used, stats.tokens_stored, stats.slots_used) == (2, 5, 8)
    assert stats.fragmentation == pytest.approx(3 / 8)
    assert stats.as_dict()["bytes_reserved"] == 10 * cache.bytes_per_block
