"""The CPU kernels on GGUF blocks (engine/kernels/quant_cpu.c) against float64 arithmetic.

Two kinds of kernel multiply the same blocks:

* float32 activations: only the order of the additions differs from the float64 product, so the
  bound is float32 rounding (1e-5 on these sizes);
* int8 activations (llama.cpp's scheme): each block of 32 activations is rounded to dx * a with
  a in [-127, 127] and dx = max|x| / 127, so |x_i - dx a_i| <= dx / 2. The kernel must then equal
  the float64 product of the *rounded* activations up to float32 rounding, and the exact product
  up to sum_b (dx_b / 2) sum_{i in b} |w_i| (the rounding bound carried through the dot product).

Shapes are odd on purpose: 70 output rows (not a multiple of the row pool's 16-row chunks) and
5 blocks per row (not a multiple of the kernels' two-block unroll).
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.core.quant_linear import BlockTensor
from engine.io.gguf_native import split_blocks

ROWS, COLS = 70, 160


@pytest.fixture(scope="module")
def kernels():
    from engine.kernels import quant_cpu

    if quant_cpu.library() is None:
        pytest.skip(quant_cpu.unavailable_reason())
    return quant_cpu


def activations(rows: int, cols: int = COLS, seed: int = 2) -> torch.Tensor:
    x = torch.randn(rows, cols, generator=torch.Generator().manual_seed(seed))
    x[:, 32:64] *= 50  # one block far larger than the rest: scales are per block, not per row
    x[:, 64:96] = 0.0  # an all-zero block (dx = 0) must not divide by zero
    return x


def blocks(qtype: str, rows: int = ROWS, seed: int = 1) -> BlockTensor:
    """Weights shaped like a trained layer's (normal, std 0.05), quantised by gguf's own quantiser."""
    from gguf import GGMLQuantizationType
    from gguf.quants import quantize

    w = np.random.default_rng(seed).normal(0.0, 0.05, (rows, COLS)).astype(np.float32)
    out = split_blocks(quantize(w, GGMLQuantizationType[qtype]), qtype)
    if qtype == "Q8_0":
        out.parts[0][:, 0, :4] = -128  # the format allows -128, though ggml's quantiser never writes it
    return out


@pytest.mark.parametrize("qtype", ["Q4_1", "Q8_0"])
@pytest.mark.parametrize("rows", [1, 3])
def test_float32_activations_match_the_float64_product(kernels, qtype, rows):
    w = blocks(qtype)
    x = activations(rows)
    got = kernels.matmul(x, qtype, w.parts, ROWS, activations="float32")
    expected = x.double() @ w.dequantize().double().T
    assert (got.double() - expected).abs().max().item() < 1e-5 * expected.abs().max().item()


def test_int8_rounding_is_per_block_and_within_half_a_step(kernels):
    x = activations(3)
    rounded = kernels.int8_activations(x)
    blocks_x, blocks_r = x.view(3, -1, 32).double(), rounded.view(3, -1, 32).double()
    dx = blocks_x.abs().amax(-1, keepdim=True) / 127  # [3, nb, 1]
    steps = torch.where(dx > 0, blocks_r / dx, torch.zeros_like(blocks_r))
    assert torch.allclose(steps, steps.round(), atol=1e-4)  # every value is dx times an integer
    assert steps.abs().max().item() <= 127 + 1e-4
    assert ((blocks_x - blocks_r).abs() <= dx / 2 * (1 + 1e-6)).all()
    assert torch.equal(rounded[:, 64:96], torch.zeros(3, 32))


@pytest.mark.parametrize("qtype", ["Q4_1", "Q8_0"])
@pytest.mark.parametrize("rows", [1, 3])
def test_int8_activations_compute_the_product_of_the_rounded_activations(kernels, qtype, rows):
    w = blocks(qtype)
    x = activations(rows)
    got = kernels.matmul(x, qtype, w.parts, ROWS, activations="int8").double()
    weights = w.dequantize().double()
    on_rounded = kernels.int8_activations(x).double() @ weights.T
    assert (got - on_rounded).abs().max().item() < 1e-5 * on_rounded.abs().max().item()
    # ...and so stay within the rounding bound of the exact product.
    exact = x.double() @ weights.T
    half_step = x.double().view(rows, -1, 32).abs().amax(-1) / 254  # [rows, nb]
    bound = half_step @ weights.abs().view(ROWS, -1, 32).sum(-1).T  # [rows, ROWS]
    assert ((got - exact).abs() <= bound * (1 + 1e-5) + 1e-5).all()


@pytest.mark.parametrize("qtype", ["Q4_1", "Q8_0"])
@pytest.mark.parametrize("activation", ["int8", "float32"])
def test_a_folded_rms_norm_is_applied_to_the_activations_first(kernels, qtype, activation):
    w = blocks(qtype)
    x = activations(3)
    gain = torch.rand(COLS, generator=torch.Generator().manual_seed(7)) + 0.5
    got = kernels.matmul(x, qtype, w.parts, ROWS, activation, norm=(gain, 1e-5)).double()
    normed = x.double() * torch.rsqrt(x.double().pow(2).mean(-1, keepdim=True) + 1e-5) * gain.double()
    weights = w.dequantize().double()
    exact = normed @ weights.T
    if activation == "float32":
        assert (got - exact).abs().max().item() < 1e-5 * exact.abs().max().item()
    else:  # the int8 rounding bound, now on the normalised activations
        half_step = normed.view(3, -1, 32).abs().amax(-1) / 254
        bound = half_step @ weights.abs().view(ROWS, -1, 32).sum(-1).T
        assert ((got - exact).abs() <= bound * (1 + 1e-4) + 1e-5).all()


@pytest.mark.parametrize("qtype", ["Q4_1", "Q8_0"])
@pytest.mark.parametrize("activation", ["int8", "float32"])
def test_a_folded_swiglu_multiplies_silu_gate_times_up(kernels, qtype, activation):
    w = blocks(qtype)
    gate, up = activations(3, seed=4), activations(3, seed=5)
    gate[0, :8] = torch.tensor([-200.0, -90.0, -40.0, -1.0, 0.0, 1.0, 40.0, 200.0])  # both tails of e^-g
    got = kernels.matmul(torch.cat([gate, up], dim=-1), qtype, w.parts, ROWS, activation, glu=True).double()
    product = gate.double() * torch.sigmoid(gate.double()) * up.double()
    weights = w.dequantize().double()
    exact = product @ weights.T
    if activation == "float32":  # the exponential's ~1e-7 relative error on top of float32 rounding
        assert (got - exact).abs().max().item() < 1e-5 * exact.abs().max().item()
    else:  # the int8 rounding bound, on the SwiGLU product
        half_step = product.view(3, -1, 32).abs().amax(-1) / 254
        bound = half_step @ weights.abs().view(ROWS, -1, 32).sum(-1).T
        assert ((got - exact).abs() <= bound * (1 + 1e-4) + 1e-5).all()


@pytest.mark.parametrize("activation", ["int8", "float32"])
def test_splitting_rows_across_threads_changes_no_bit(kernels, activation):
    """Each output row is computed whole by one thread, so the row pool's split is invisible."""
    w = blocks("Q4_1", rows=1000, seed=5)  # 1000 rows: many chunks
    x = activations(2)
    bound = kernels.BoundMatmul("Q4_1", w.parts, 1000, activation)
    outputs = []
    for threads in (1, 2, 4):
        y = torch.empty(2, 1000)
        bound.fn(x.data_ptr(), 2, COLS, *bound.pointers, 1000, y.data_ptr(), threads, *bound.norm_args)
        outputs.append(y)
    assert torch.equal(outputs[0], outputs[1]) and torch.equal(outputs[0], outputs[2])


def test_the_row_pool_works_in_a_forked_child(kernels):
    """Helper threads do not survive fork() (a Celery prefork worker): the child must start its own."""
    import os

    w = blocks("Q8_0", rows=1000, seed=6)
    x = activations(1)
    bound = kernels.BoundMatmul("Q8_0", w.parts, 1000, "int8")

    def run() -> torch.Tensor:
        y = torch.empty(1, 1000)
        bound.fn(x.data_ptr(), 1, COLS, *bound.pointers, 1000, y.data_ptr(), 2, *bound.norm_args)
        return y

    expected = run()  # starts the parent's helper
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report whether its result matches, then leave without running pytest's exit hooks
        os.close(read)
        ok = torch.equal(run(), expected)
        os.write(write, b"1" if ok else b"0")
        os._exit(0)
    os.close(write)
    answer = os.read(read, 1)
    os.close(read)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and answer == b"1"


def test_an_unknown_activations_option_is_named(kernels):
    w = blocks("Q4_1")
    with pytest.raises(ValueError, match=r"activations: unknown option 'int4'; choose one of int8, float32"):
        kernels.BoundMatmul("Q4_1", w.parts, ROWS, "int4")


def test_without_the_library_quant_linear_falls_back_to_torch(monkeypatch):
    """No compiler or no AVX2: QuantLinear dequantises in torch and still computes x @ W^T."""
    from engine.core.quant_linear import QuantLinear
    from engine.kernels import quant_cpu

    monkeypatch.setattr(quant_cpu, "library", lambda: None)
    w = blocks("Q4_1")
    layer = QuantLinear(w)
    x = activations(1)[None]  # [1, 1, COLS]: a decode step's shape
    expected = torch.nn.functional.linear(x, w.dequantize())
    assert torch.equal(layer(x), expected)


def test_set_activations_switches_every_layer_and_names_bad_values():
    from engine.core.quant_linear import QuantLinear, set_activations

    model = torch.nn.Sequential(QuantLinear(blocks("Q4_1")), QuantLinear(blocks("Q8_0")))
    set_activations(model, "float32")
    assert [m.activations for m in model] == ["float32", "float32"]
    with pytest.raises(ValueError, match=r"activations: unknown option 'fp8'"):
        set_activations(model, "fp8")

