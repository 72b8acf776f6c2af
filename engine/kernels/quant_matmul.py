"""A dequantising matmul in Triton for GGUF blocks (Q4_1, Q8_0): the CUDA side of ``weights="gguf"``.

``y[M, N] = x[M, K] @ W[N, K]^T`` where W is given as the block parts of engine.core.quant_linear.BlockTensor.
One program computes a BLOCK_M x BLOCK_N tile of y and walks K one GGUF block (32 weights) at a
time: it loads the tile's nibble bytes (16 per row for Q4_1) or int8 values, the fp16 scales
(and minima), forms ``w = d * q (+ m)`` in float32 registers and feeds ``tl.dot``. The weights
never exist in memory as floats, so a decode step reads 0.625 (Q4_1) or 1.06 (Q8_0) bytes per
weight instead of 4.

Element i of a Q4_1 block is byte ``i % 16``'s low nibble for i < 16 and its high nibble
otherwise, so one load of 16 bytes gathered twice gives all 32 (shift 0 or 4).

Like engine.kernels.flash_attention it runs compiled on CUDA and, on CPU tensors, only under the
interpreter (``TRITON_INTERPRET=1`` before import); the tests use the interpreter on tiny shapes.
"""
from __future__ import annotations

import os

import torch
import triton
import triton.language as tl

from engine.kernels.interpreter import let_the_interpreter_index_with_numpy_2_4

# The loop over K's blocks has a runtime bound, which Triton 3.6's interpreter needs this fix for.
if os.environ.get("TRITON_INTERPRET") == "1":
    let_the_interpreter_index_with_numpy_2_4()


@triton.jit
def _dequant_matmul(
    X, QS, D, MIN, Y,
    M, N, NB,  # NB: GGUF blocks per row (K / 32)
    stride_xm, stride_ym,
    IS_Q4_1: tl.constexpr,
    FP32_DOT: tl.constexpr,
    BLOCK_M: tl.constexpr,
    BLOCK_N: tl.constexpr,
):
    pid_m, pid_n = tl.program_id(0), tl.program_id(1)
    rows_m = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)  # [BM] token rows
    rows_n = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)  # [BN] output features
    mask_m, mask_n = rows_m < M, rows_n < N
    k = tl.arange(0, 32)  # position inside a GGUF block
    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)
    for b in range(0, NB):
        x = tl.load(X + rows_m[:, None] * stride_xm + b * 32 + k[None, :], mask=mask_m[:, None], other=0.0)  # [BM, 32]
        d = tl.load(D + rows_n * NB + b, mask=mask_n, other=0.0).to(tl.float32)  # [BN]
        if IS_Q4_1:
            byte = tl.load(QS + (rows_n[:, None] * NB + b) * 16 + (k % 16)[None, :], mask=mask_n[:, None], other=0)
            q = ((byte >> ((k // 16) * 4)[None, :].to(tl.uint8)) & 0x0F).to(tl.float32)  # [BN, 32]
            minimum = tl.load(MIN + rows_n * NB + b, mask=mask_n, other=0.0).to(tl.float32)
            w = q * d[:, None] + minimum[:, None]
        else:
            q = tl.load(QS + (rows_n[:, None] * NB + b) * 32 + k[None, :], mask=mask_n[:, None], other=0).to(tl.float32)
            w = q * d[:, None]
        if FP32_DOT:
            acc += tl.dot(x.to(tl.float32), tl.trans(w), input_precision="ieee")
        else:
            acc += tl.dot(x, tl.trans(w).to(x.dtype))
    tl.store(Y + rows_m[:, None] * stride_ym + rows_n[None, :], acc, mask=mask_m[:, None] & mask_n[None, :])


def quant_matmul(
    x: torch.Tensor, qtype: str, parts: tuple[torch.Tensor, ...], block_m: int = 16, block_n: int = 64
) -> torch.Tensor:
    """x [M, K] (float32 / float16 / bfloat16) times W^T, W [N, K] given as GGUF block parts; float32 [M, N].

    ``parts``: (qs, d, m) for Q4_1, (qs, d) for Q8_0, in the layout of engine.core.quant_linear.BlockTensor.
    """
    if qtype not in ("Q4_1", "Q8_0"):
        raise ValueError(f"qtype must be 'Q4_1' or 'Q8_0', got {qtype!r}")
    qs, d = parts[0], parts[1]
    N, NB = d.shape
    if x.shape[-1] != NB * 32:
        raise ValueError(f"x has {x.shape[-1]} features, the weight expects {NB * 32}")
    x = x.contiguous()
    M = x.shape[0]
    y = torch.empty((M, N), dtype=torch.float32, device=x.device)
    is_q4_1 = qtype == "Q4_1"
    minimum = parts[2] if is_q4_1 else d  # unused by the Q8_0 branch
    grid = (triton.cdiv(M, block_m), triton.cdiv(N, block_n))
    _dequant_matmul[grid](
        x, qs, d, minimum, y, M, N, NB, x.stride(0), y.stride(0),
        IS_Q4_1=is_q4_1, FP32_DOT=x.dtype == torch.float32, BLOCK_M=block_m, BLOCK_N=block_n,
    )
    return y
