"""engine.serving.paged_attention: reading K/V through block tables equals attention over contiguous K/V.

The Triton decode kernel runs under the interpreter in a child process (Triton picks compile vs
interpret when a kernel is first defined, and the pytest process may already have compiled mode).
Tolerances: float32 1e-4 (the interpreter's numpy dots sum in a different order), float16 5e-3.
"""
from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from engine.core.attention import attention
from engine.core.config import ModelConfig
from engine.serving.paged_attention import paged_attention, read_plan, token_slots
from engine.serving.paged_kv_cache import PagedKVCache

REPO = Path(__file__).resolve().parents[3]
HKV, D = 2, 8


def scattered_pool(lengths, block_size, seed=0, share_first_blocks=0):
    """A pool with each sequence's blocks at random places; returns pool, tables and the dense K/V."""
    rng = random.Random(seed)
    gen = torch.Generator().manual_seed(seed)
    needed = [-(-n // block_size) for n in lengths]
    num_blocks = sum(needed) + 3
    free = list(range(num_blocks))
    rng.shuffle(free)
    keys = torch.randn(num_blocks * block_size, HKV, D, generator=gen, dtype=torch.float64)
    values = torch.randn(num_blocks * block_size, HKV, D, generator=gen, dtype=torch.float64)
    tables = []
    for i, n in enumerate(needed):
        shared = tables[0][:share_first_blocks] if i and share_first_blocks else []
        tables.append(shared + [free.pop() for _ in range(n - len(shared))])
    dense = []
    for table, n in zip(tables, lengths):
        slots = torch.tensor(token_slots(table, 0, n, block_size))
        dense.append((keys[slots].transpose(0, 1)[None], values[slots].transpose(0, 1)[None]))  # [1, Hkv, n, D]
    return keys, values, tables, dense


@pytest.mark.parametrize("block_size", [1, 4, 16])
@pytest.mark.parametrize("new_tokens", [1, 3])
def test_gathered_attention_equals_contiguous_attention(block_size, new_tokens):
    lengths = [5, 17, 33, 3 + new_tokens]
    keys, values, tables, dense = scattered_pool(lengths, block_size, seed=block_size)
    q = torch.randn(len(lengths), 4, new_tokens, D, dtype=torch.float64)
    out = paged_attention(q, keys, values, tables, lengths, block_size)
    for row, (k, v) in enumerate(dense):
        expected = attention(q[row : row + 1], k, v, causal=True)
        torch.testing.assert_close(out[row : row + 1], expected)


def test_sequences_sharing_prefix_blocks_read_the_same_keys():
    keys, values, tables, dense = scattered_pool([12, 14], block_size=4, seed=3, share_first_blocks=2)
    assert tables[0][:2] == tables[1][:2]
    torch.testing.assert_close(dense[0][0][:, :, :8], dense[1][0][:, :, :8])
    q = torch.randn(2, 4, 1, D, dtype=torch.float64)
    out = paged_attention(q, keys, values, tables, [12, 14], 4)
    for row, (k, v) in enumerate(dense):
        torch.testing.assert_close(out[row : row + 1], attention(q[row : row + 1], k, v, causal=True))


def test_read_plan_left_pads_and_masks():
    slots, mask = read_plan([[2], [0, 1]], [2, 5], block_size=4)
    assert slots.tolist() == [[-1, -1, -1, 8, 9], [0, 1, 2, 3, 4]]
    assert mask.tolist() == [[False, False, False, True, True], [True] * 5]


def test_token_slots_refuses_tokens_past_the_table():
    with pytest.raises(ValueError, match="need 2 blocks"):
        token_slots([0], 0, 5, block_size=4)


def test_a_step_after_copy_on_write_attends_over_the_copied_prefix():
    """Fork, diverge, and check both sequences' model-facing reads against dense K/V."""
    config = ModelConfig(vocab_size=16, d_model=16, n_layers=1, n_heads=2, n_kv_heads=HKV, d_ff=16, max_seq_len=64)
    cache = PagedKVCache(config, num_blocks=8, block_size=4, dtype=torch.float64, enable_prefix_cache=False)
    cache.add_sequence("a")
    cache.reserve("a", range(6))
    prompt_k, prompt_v = torch.randn(2, 1, HKV, 6, D, dtype=torch.float64)
    step, _, _ = cache.plan_step([("a", 6)])
    step.update(0, prompt_k, prompt_v)
    cache.fork("a", "b")
    cache.reserve("a", [1])
    cache.reserve("b", [2])
    assert cache.copies_on_write == 1
    new_k, new_v = torch.randn(2, 2, HKV, 1, D, dtype=torch.float64)
    step, positions, mask = cache.plan_step([("a", 1), ("b", 1)])
    k, v = step.update(0, new_k, new_v)
    assert positions.tolist() == [[6], [6]] and bool(mask.all())
    for row in range(2):
        torch.testing.assert_close(k[row, :, :6], prompt_k[0])
        torch.testing.assert_close(k[row, :, 6], new_k[row, :, 0])
        torch.testing.assert_close(v[row, :, 6], new_v[row, :, 0])


def run_triton_check() -> dict:
    env = {**os.environ, "TRITON_INTERPRET": "1"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve())], check=False, env=env, cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_triton_paged_decode_kernel_matches_dense_attention_under_the_interpreter():
    result = run_triton_check()
    assert result["interpreter"] is True
    assert len(result["errors"]) == 4
    for case, error in result["errors"].items():
        tolerance = 5e-3 if case.endswith("float16") else 1e-4
        assert error < tolerance, f"{case}: max error {error:.2e}"


def test_triton_kernel_rejects_block_sizes_that_are_not_powers_of_two():
    from engine.kernels.paged_decode import paged_decode_attention_triton

    q = torch.zeros(1, 2, D)
    with pytest.raises(ValueError, match="block_size must be a power of two"):
        paged_decode_attention_triton(q, torch.zeros(6, HKV, D), torch.zeros(6, HKV, D), torch.zeros(1, 2), torch.ones(1), 3)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_compiled_paged_decode_kernel_matches_dense_attention_on_cuda():
    for case, error in _triton_errors("cuda").items():
        tolerance = 2e-2 if case.endswith("float16") else 4e-4  # compiled fp32 dots may reassociate sums
        assert error < tolerance, f"{case}: max error {error:.2e}"


def _triton_errors(device: str = "cpu") -> dict:
    from engine.kernels.paged_decode import paged_decode_attention_triton

    errors = {}
    cases = {
        "mha-block4/float32": (4, 4, [1, 7, 16, 9]),
        "gqa-block16/float32": (4, 16, [40, 3]),
        "gqa-block2-odd-dim/float32": (6, 2, [5, 11]),
        "gqa-block16/float16": (4, 16, [33, 18]),
    }
    for name, (heads, block_size, lengths) in cases.items():
        dtype = getattr(torch, name.split("/")[1])
        d = 12 if "odd" in name else D
        hkv = HKV if heads % HKV == 0 else 1
        gen = torch.Generator().manual_seed(len(name))
        blocks = sum(-(-n // block_size) for n in lengths) + 2
        keys = torch.randn(blocks * block_size, hkv, d, generator=gen)
        values = torch.randn(blocks * block_size, hkv, d, generator=gen)
        order = torch.randperm(blocks, generator=gen).tolist()
        tables = []
        for n in lengths:
            tables.append([order.pop() for _ in range(-(-n // block_size))])
        width = max(len(t) for t in tables)
        table_tensor = torch.tensor([t + [0] * (width - len(t)) for t in tables], dtype=torch.int32)
        q = torch.randn(len(lengths), heads, d, generator=gen)
        out = paged_decode_attention_triton(
            q.to(device, dtype), keys.to(device, dtype), values.to(device, dtype), table_tensor.to(device),
            torch.tensor(lengths, device=device), block_size,
        ).cpu()
        assert out.dtype == dtype
        expected = paged_attention(q[:, :, None].double(), keys.double(), values.double(), tables, lengths, block_size)[:, :, 0]
        errors[name] = float((out.double() - expected).abs().max())
    return errors


if __name__ == "__main__":
    import triton  # noqa: F401  (imported here so the interpreter flag is read now)

    print(json.dumps({"interpreter": os.environ.get("TRITON_INTERPRET") == "1", "errors": _triton_errors()}))
