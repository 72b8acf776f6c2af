"""Hidden tests for roofline. Oracle: exact rational arithmetic (fractions), rounded once to a float."""
from fractions import Fraction

import torch

from questions.exercises.cases import Case

H100 = (989.0, 3.35)  # dense bf16 TFLOP/s, HBM3 TB/s (SXM datasheet)
A100 = (312.0, 2.039)  # dense bf16 TFLOP/s, HBM2e TB/s (80 GB SXM)


def _gemm(m, k, n, bytes_per_element=2):
    """FLOPs and bytes of an [m, k] x [k, n] matmul that reads both inputs and writes the output once."""
    return (2.0 * m * k * n, float(bytes_per_element * (m * k + k * n + m * n)))


def cases(seed: int) -> list[Case]:
    g = torch.Generator().manual_seed(seed)
    m = int(torch.randint(1, 513, (1,), generator=g))
    ridge_bytes = 1.0e9
    return [
        Case("intensity-100-h100", args=(100.0e9, 1.0e9, *H100), visible=True,
             explain="The statement's example: 100 FLOP/byte on an H100 is memory-bound at 335 TFLOP/s."),
        Case("decode-gemv-h100", args=(*_gemm(1, 4096, 4096), *H100), visible=True,
             explain="One decode token through a 4096 x 4096 bf16 weight: intensity about 1, far below the ridge."),
        Case("prefill-gemm-a100", args=(*_gemm(4096, 4096, 4096), *A100),
             explain="A 4096-token prefill GEMM is compute-bound: the answer is the A100's peak."),
        Case("exactly-at-ridge", args=(989.0 / 3.35 * ridge_bytes, ridge_bytes, *H100),
             explain="At the ridge point both roofs give the peak."),
        Case("nothing-moved", args=(1.0e12, 0.0, *H100),
             explain="Zero bytes moved: the intensity is unbounded and only the compute roof is left."),
        Case("no-flops", args=(0.0, 5.0e8, *A100),
             explain="A pure copy does no arithmetic: 0 TFLOP/s."),
        Case("random-batch-gemm", args=(*_gemm(m, 8192, 8192), *H100),
             explain="A decode batch of random size through an 8192 x 8192 weight, on either side of the ridge."),
        Case("large-prefill-gemm", args=(*_gemm(16384, 8192, 28672), *H100),
             explain="A 16k-token prefill through a 70B-class MLP weight: deep in the compute-bound region."),
    ]


def expected(case: Case):
    flops, bytes_moved, peak, bandwidth = (Fraction(x) for x in case.args)
    if bytes_moved == 0:
        return float(peak)
    return float(min(peak, flops / bytes_moved * bandwidth))
