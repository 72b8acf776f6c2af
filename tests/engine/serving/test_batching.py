"""engine.serving.batching: batched serving gives each request exactly what it would get alone.

The model is tiny and float64, so batching's different matmul shapes cannot flip a near-tie
between two tokens: equality of token ids is then a fair test of the scheduler, the masks
and the positions.
"""
from __future__ import annotations

import random

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import ModelConfig, SamplingParams, build_model, generate
from engine.serving.batching import ContinuousBatcher, GenerationRequest, serve, static_batch_generate

CONFIG = ModelConfig(vocab_size=64, d_model=32, n_layers=2, n_heads=4, n_kv_heads=2, d_ff=64, max_seq_len=256)
GREEDY = SamplingParams(temperature=0.0)


# Tiny tensors: on a shared 2-core box, intra-op threads cost more than they give.
pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def model():
    return build_model(CONFIG, seed=1).to(torch.float64)


def mixed_requests(n: int, seed: int = 0, sampled: bool = True) -> list[GenerationRequest]:
    rng = random.Random(seed)
    requests = []
    for i in range(n):
        prompt = [rng.randrange(CONFIG.vocab_size) for _ in range(rng.randint(1, 40))]
        if sampled and i % 3 == 1:
            params = SamplingParams(temperature=0.9, top_k=20, seed=100 + i)
        elif sampled and i % 3 == 2:
            params = SamplingParams(temperature=1.0, top_p=0.9, repetition_penalty=1.3, seed=200 + i)
        else:
            params = GREEDY
        requests.append(GenerationRequest(prompt, rng.randint(1, 24), params))
    return requests


def alone(model, request: GenerationRequest) -> list[int]:
    return generate(model, list(request.prompt), request.max_new_tokens, request.sampling, stop_token_ids=request.stop_token_ids).tokens


class TestContinuousBatching:
    def test_every_request_gets_the_tokens_it_gets_alone(self, model):
        requests = mixed_requests(8)
        outputs, batcher = serve(model, requests, num_blocks=64, block_size=4, max_num_seqs=5, prefill_chunk=16)
        for request, output in zip(requests, outputs):
            assert output.tokens == alone(model, request)
            assert output.finish_reason == "max_new_tokens"
        assert batcher.iterations < sum(r.max_new_tokens for r in requests)  # requests really shared iterations

    def test_preemption_by_recompute_keeps_outputs_identical(self, model):
        requests = mixed_requests(8, seed=1)
        # 20 blocks of 4 tokens cannot hold five running requests: the newest get preempted.
        outputs, batcher = serve(model, requests, num_blocks=20, block_size=4, max_num_seqs=5, prefill_chunk=8)
        assert batcher.preemptions > 0
        assert any(o.preemptions for o in outputs)
        for request, output in zip(requests, outputs):
            assert output.tokens == alone(model, request)
        batcher.cache.check()
        assert not batcher.cache.sequences

    def test_seeded_sampling_does_not_depend_on_batch_composition(self, model):
        target = GenerationRequest([5, 6, 7, 8, 9], 16, SamplingParams(temperature=1.0, seed=7))
        (solo,), _ = serve(model, [target], num_blocks=32, block_size=4)
        crowd = mixed_requests(5, seed=2)
        outputs, _ = serve(model, [*crowd[:3], target, *crowd[3:]], num_blocks=32, block_size=4, max_num_seqs=3)
        assert outputs[3].tokens == solo.tokens

    def test_chunked_prefill_splits_long_prompts(self, model):
        request = GenerationRequest(list(range(60)), 4, GREEDY)
        outputs, batcher = serve(model, [request], num_blocks=32, block_size=4, prefill_chunk=7)
        assert outputs[0].tokens == alone(model, request)
        assert batcher.forward_passes == -(-60 // 7) + 3  # 9 prefill chunks, then 3 decode steps

    def test_a_shared_prefix_is_served_from_the_prefix_cache(self, model):
        system = list(range(1, 33))
        requests = [GenerationRequest(system + [40 + i], 5, GREEDY) for i in range(3)]
        batcher = ContinuousBatcher(model, num_blocks=64, block_size=8)
        first = batcher.submit(requests[0])
        batcher.run()
        for request in requests[1:]:
            batcher.submit(request)
        outputs = batcher.run()
        assert outputs[first].cached_prompt_tokens == 0
        assert [o.cached_prompt_tokens for o in outputs[1:]] == [32, 32]
        for request, output in zip(requests, outputs):
            assert output.tokens == alone(model, request)

    def test_stop_tokens_end_a_request_early(self, model):
        request = GenerationRequest([3, 4, 5], 20, GREEDY)
        first_token = alone(model, request)[0]
        stopping = GenerationRequest([3, 4, 5], 20, GREEDY, stop_token_ids=(first_token,))
        (output,), _ = serve(model, [stopping], num_blocks=16, block_size=4)
        assert output.tokens == [first_token] and output.finish_reason == "stop_token"

    def test_a_request_larger_than_the_pool_is_rejected_with_the_limit(self, model):
        batcher = ContinuousBatcher(model, num_blocks=4, block_size=4)
        with pytest.raises(ValueError, match=r"max_new_tokens: .* must be at most 16"):
            batcher.submit(GenerationRequest(list(range(10)), 10, GREEDY))

    def test_impossible_requests_name_the_field(self, model):
        batcher = ContinuousBatcher(model, num_blocks=4, block_size=4)
        with pytest.raises(ValueError, match="prompt: the prompt is empty"):
            batcher.submit(GenerationRequest([], 4))
        with pytest.raises(ValueError, match="max_new_tokens must be a positive integer"):
            batcher.submit(GenerationRequest([1], 0))
        with pytest.raises(ValueError, match="max_num_seqs must be at least 1"):
            ContinuousBatcher(model, num_blocks=4, max_num_seqs=0)

    def test_cancelling_a_running_request_frees_its_blocks(self, model):
        batcher = ContinuousBatcher(model, num_blocks=16, block_size=4, enable_prefix_cache=False)
        keep = batcher.submit(GenerationRequest(list(range(10)), 8, GREEDY))
        drop = batcher.submit(GenerationRequest(list(range(20, 30)), 8, GREEDY))
        batcher.step()
        batcher.step()
        used = batcher.cache.allocator.num_used
        assert batcher.cancel(drop) is True
        assert batcher.cache.allocator.num_used == used - batcher.cache.blocks_for(11)
        assert batcher.cancel(drop) is False
        outputs = batcher.run()
        assert outputs[drop].finish_reason == "cancelled" and len(outputs[drop].tokens) == 2
        assert outputs[keep].finish_reason == "max_new_tokens"
        assert batcher.cache.allocator.num_used == 0

    def test_parallel_samples_share_the_prompt_and_match_their_seeds_run_alone(self, model):
        request = GenerationRequest(list(range(1, 19)), 10, SamplingParams(temperature=1.0, top_k=30, seed=40))
        batcher = ContinuousBatcher(model, num_blocks=32, block_size=4, enable_prefix_cache=False)
        ids = batcher.submit_parallel(request, 3)
        outputs = batcher.run()
        for i, request_id in enumerate(ids):
            seeded = GenerationRequest(request.prompt, 10, SamplingParams(temperature=1.0, top_k=30, seed=40 + i))
            assert outputs[request_id].tokens == alone(model, seeded)
        assert batcher.prefill_tokens_computed == 18  # one prefill for all three
        # 18 tokens = 4 full blocks + a half-full one: each later sample's first write copies the shared half block.
        assert batcher.cache.copies_on_write == 2
        assert batcher.peak_blocks_used < 3 * batcher.cache.blocks_for(28)
        assert not batcher.cache.sequences and batcher.cache.allocator.num_used == 0

    def test_cancelling_the_first_sample_lets_the_others_prefill_alone(self, model):
        request = GenerationRequest([3, 1, 4, 1, 5], 4, SamplingParams(temperature=1.0, seed=9))
        batcher = ContinuousBatcher(model, num_blocks=16, block_size=4)
        first, second = batcher.submit_parallel(request, 2)
        batcher.cancel(first)
        outputs = batcher.run()
        assert outputs[first].finish_reason == "cancelled"
        assert outputs[second].tokens == alone(model, GenerationRequest(request.prompt, 4, SamplingParams(temperature=1.0, seed=10)))

    def test_parallel_sample_count_is_bounded(self, model):
        with pytest.raises(ValueError, match="n .samples per prompt. must be an integer between 1 and 64"):
            ContinuousBatcher(model, num_blocks=8).submit_parallel(GenerationRequest([1], 1), 0)

    def test_timings_are_consistent(self, model):
        outputs, _ = serve(model, mixed_requests(4, seed=3, sampled=False), num_blocks=64, block_size=4)
        for output in outputs:
            assert 0 < output.ttft_s <= output.latency_s
            if len(output.tokens) > 1:
                assert output.tpot_s == pytest.approx((output.latency_s - output.ttft_s) / (len(output.tokens) - 1))


class TestStaticBatching:
    def test_left_padded_batches_match_requests_run_alone(self, model):
        requests = mixed_requests(7, seed=4)
        outputs = static_batch_generate(model, requests, batch_size=3)
        for request, output in zip(requests, outputs):
            assert output.tokens == alone(model, request)

    def test_later_groups_wait_for_earlier_ones(self, model):
        requests = [GenerationRequest([1, 2, 3], 6, GREEDY) for _ in range(4)]
        outputs = static_batch_generate(model, requests, batch_size=2)
        assert min(o.ttft_s for o in outputs[2:]) > max(o.latency_s for o in outputs[:2]) * 0.99

    def test_batch_size_must_be_positive(self, model):
        with pytest.raises(ValueError, match="batch_size must be at least 1"):
            static_batch_generate(model, [GenerationRequest([1], 1)], batch_size=0)


# Random interleavings of submit / step / cancel against a pool small enough to force preemption.
operations = st.lists(
    st.one_of(
        st.tuples(st.just("submit"), st.integers(1, 20), st.integers(1, 12)),
        st.tuples(st.just("parallel"), st.integers(1, 12), st.integers(1, 6)),
        st.tuples(st.just("step"), st.integers(1, 4), st.just(0)),
        st.tuples(st.just("cancel"), st.integers(0, 9), st.just(0)),
    ),
    min_size=1,
    max_size=14,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations, prefix_cache=st.booleans())
def test_random_submit_step_cancel_sequences_account_for_every_block(model, ops, prefix_cache):
    batcher = ContinuousBatcher(model, num_blocks=10, block_size=4, max_num_seqs=4, prefill_chunk=8, enable_prefix_cache=prefix_cache)
    submitted: dict[int, int] = {}  # request id -> max_new_tokens
    for kind, a, b in ops:
        if kind == "submit":
            # Prompts share a head so the prefix cache gets hits; lengths stay within the 40-token pool.
            submitted[batcher.submit(GenerationRequest([7, 8, 9, 10, *range(a)], b, GREEDY))] = b
        elif kind == "parallel":
            sampled = GenerationRequest([7, 8, 9, *range(a)], b, SamplingParams(temperature=1.0, seed=a))
            for request_id in batcher.submit_parallel(sampled, 3):
                submitted[request_id] = b
        elif kind == "step":
            for _ in range(a):
                if batcher.has_unfinished:
                    batcher.step()
        elif submitted:
            batcher.cancel(list(submitted)[a % len(submitted)])
        batcher.cache.check()
        held = set(batcher.cache.sequences)
        assert held == {live.id for live in batcher.running}  # only running requests hold blocks
        assert batcher.cache.copies_on_write <= len(submitted)
    outputs = batcher.run()
    batcher.cache.check()
    assert not batcher.cache.sequences
    cached = batcher.cache.prefix_cache.evictable() if batcher.cache.prefix_cache else 0
    assert batcher.cache.allocator.num_used == cached  # whatever is left belongs to the prefix cache alone
    assert [o.request_id for o in outputs] == sorted(submitted)
    for output in outputs:
        if output.finish_reason != "cancelled":
            assert len(output.tokens) == submitted[output.request_id]
