"""Independent recomputation of bank-b's numeric quiz items (issue 12, part 2 of the bank).

Each value below is worked out from first principles (model shapes, byte counts, link and memory
bandwidths stated in the question), not copied from the answer, so a typo in a bank file fails here.
The hardware figures are the questions' stated assumptions: H100 SXM HBM3 3.35 TB/s, NVLink 4 about
450 GB/s per direction, PCIe Gen5 x16 about 64 GB/s per direction.
"""
from __future__ import annotations

import math

import pytest

from test_bank_content import BANK_FILES, within_tolerance

BF16 = 2
NVLINK4 = 450e9          # bytes/s per direction per GPU (900 GB/s bidirectional headline)
PCIE5 = 64e9             # bytes/s per direction, x16
H100_HBM = 3.35e12       # bytes/s
LLAMA2_70B = {"d_model": 8192, "layers": 80, "kv_heads": 8, "head_dim": 128, "weight_bytes": 137_953_296_384}


def ring_allreduce_s(payload: float, ranks: int, bandwidth: float) -> float:
    """Bandwidth term of a ring all-reduce: each rank sends 2(p-1)/p of the payload."""
    return 2 * (ranks - 1) / ranks * payload / bandwidth


def kv_bytes_per_token(layers: int, kv_heads: int, head_dim: int, bytes_per: float = BF16) -> float:
    return 2 * layers * kv_heads * head_dim * bytes_per


def experts_touched(experts: int, k: int, batch: int) -> float:
    """Expected distinct experts hit by `batch` tokens under uniform top-k routing (linearity of expectation).

    A token misses a given expert in comb(E-1, k) of its comb(E, k) equally likely choices.
    """
    miss_one = math.comb(experts - 1, k) / math.comb(experts, k)
    return experts * (1 - miss_one ** batch)


def expected_values() -> dict[tuple[str, str], float]:
    m = LLAMA2_70B
    prefill_ar = 4096 * m["d_model"] * BF16
    values = {
        ("tensor-parallel-megatron", "allreduces-per-layer"): 2,
        ("ring-all-reduce", "bytes-sent-per-rank"): 2 * 7 / 8 * 64 * 2**20,
        ("tp-all-reduce-cost", "bytes-per-layer-prefill"): 2 * prefill_ar,
        ("tp-all-reduce-cost", "pcie-allreduce-ms"): ring_allreduce_s(prefill_ar, 8, PCIE5) * 1e3,
        ("tp-all-reduce-cost", "nvlink-forward-ms"): 2 * m["layers"] * ring_allreduce_s(prefill_ar, 8, NVLINK4) * 1e3,
    }
    step = {tp: m["weight_bytes"] / (tp * H100_HBM) + 2 * m["layers"] * 10e-6 for tp in (2, 8)}
    values[("tp-decode-scaling", "step-time-tp8")] = step[8] * 1e3
    values[("tp-decode-scaling", "speedup-2-to-8")] = step[2] / step[8]
    values[("tp-vs-replicas", "kv-budget-tp4x2")] = (8 * 80e9 - 2 * m["weight_bytes"]) / 1e9
    values[("tp-vs-replicas", "tokens-tp2-replica")] = (2 * 80e9 - m["weight_bytes"]) / kv_bytes_per_token(
        m["layers"], m["kv_heads"], m["head_dim"])
    values[("pipeline-parallel-bubbles", "gpipe-bubble")] = (4 - 1) / (8 + 4 - 1)
    values[("pipeline-parallel-bubbles", "handoff-bytes")] = 64 * m["d_model"] * BF16
    # ring attention: 4 c^2 d_q FLOPs at 989 TFLOP/s vs 2 c d_kv bf16 bytes at 50 GB/s
    d_q, d_kv = 64 * 128, 8 * 128
    values[("context-parallelism-ring-attention", "min-block-overlap")] = 2 * d_kv * BF16 * 989e12 / (4 * d_q * 50e9)
    values[("expert-parallel-serving", "ep-memory")] = 256 // 32 * (3 * 7168 * 2048) * 1
    kv_70b = kv_bytes_per_token(m["layers"], m["kv_heads"], m["head_dim"])
    values[("kv-transfer-sizing", "transfer-bytes")] = 4096 * kv_70b
    values[("kv-transfer-sizing", "transfer-ms-one-nic")] = 4096 * kv_70b / (400e9 / 8) * 1e3
    values[("kv-transfer-sizing", "mla-ratio")] = kv_70b / ((512 + 64) * 61 * BF16)
    values[("mooncake-kvcache-centric", "fetch-vs-recompute")] = 16_384 * kv_70b / 50e9 * 1e3
    values[("serving-system-design", "concurrency")] = 200 * (0.5 + 300 * 0.040)
    values[("serving-system-design", "replicas")] = -(-(200 * 300) // 3200)
    values[("prefix-aware-routing", "random-hit-rate")] = 1 / 8
    values[("kv-offload-tiered-cache", "reload-ms")] = 8192 * kv_bytes_per_token(32, 8, 128) / PCIE5 * 1e3
    lora_shapes = [(4096, 4096)] * 4 + [(4096, 11008)] * 2 + [(11008, 4096)]
    values[("multi-lora-serving", "adapter-bytes")] = 32 * sum(16 * (i + o) for i, o in lora_shapes) * BF16
    values[("load-testing-open-vs-closed", "closed-throughput")] = 64 / 8
    slo_rows = [(0.4, 30), (0.9, 45), (1.3, 30), (0.5, 60), (0.2, 20), (0.8, 49), (2.0, 80), (0.6, 35), (0.7, 52), (0.3, 40)]
    values[("goodput-and-slos", "goodput-count")] = sum(t <= 1.0 and p <= 50 for t, p in slo_rows) / 2.0
    values[("autoscaling-llm-serving", "weight-load-seconds")] = m["weight_bytes"] / 2e9
    values[("gpu-memory-hierarchy", "register-file-total")] = 132 * 65_536 * 4
    values[("roofline-model", "ridge-h100")] = 989e12 / H100_HBM
    mm, kk, nn = 64, 4096, 4096
    values[("roofline-model", "gemm-intensity")] = 2 * mm * kk * nn / (BF16 * (mm * kk + kk * nn + mm * nn))
    blocks = 65_536 // (128 * 256)
    values[("occupancy", "occupancy-calc")] = blocks * 256 / 32 / 64
    values[("kernel-fusion", "swiglu-bytes-saved")] = (5 - 3) * 4096 * 14336 * BF16
    values[("cuda-graphs", "launch-overhead")] = 32 * 12 * 4e-6 * 1e3
    values[("inference-nondeterminism", "bf16-spacing")] = 2.0 ** (8 - 7)   # ulp in [2^8, 2^9) with 8 significant bits
    tiles = (1408 // 128) * (4096 // 128)
    waves = -(-tiles // 132)
    values[("gemm-tiling-waves", "waves")] = waves
    values[("gemm-tiling-waves", "wave-efficiency")] = tiles / (waves * 132)
    values[("moe-decode-memory-traffic", "experts-touched-b4")] = experts_touched(8, 2, 4)
    values[("moe-decode-memory-traffic", "experts-touched-dsv3")] = experts_touched(256, 8, 32)
    group_rows = [37, 5, 64, 0, 130, 12, 9, 1]
    values[("moe-grouped-gemm", "padding-efficiency")] = sum(group_rows) / sum(-(-c // 16) * 16 for c in group_rows)
    values[("moe-capacity-and-dropping", "capacity")] = 1.25 * 4096 * 2 / 8
    values[("moe-expert-offloading", "bytes-per-token")] = 32 * 2 * (3 * 4096 * 14336) * 0.5
    values[("mxfp4-nvfp4", "mxfp4-bits")] = 4 + 8 / 32
    values[("mxfp4-nvfp4", "nvfp4-bits")] = 4 + 8 / 16
    values[("smoothquant", "smoothing-factor")] = 40 ** 0.5 / 0.5 ** (1 - 0.5)
    values[("weight-activation-formats", "w4a16-bound")] = H100_HBM / (68_976_648_192 * 0.5)
    values[("quantization-scale-granularity", "group-bits")] = 4 + 16 / 128
    values[("eagle-draft-trees", "tree-nodes")] = sum(2 ** level for level in range(1, 5))
    values[("multi-token-prediction", "tokens-per-step")] = 1 + 0.85
    values[("speculative-continuous-batching", "tokens-per-step")] = 64 * (4 + 1)
    values[("speculative-kv-rollback", "discarded-entries")] = 5 - 2
    reach, tokens = 1.0, 1.0
    for p in (0.80, 0.75, 0.70, 0.60):
        reach *= p
        tokens += reach
    values[("speculative-acceptance-factors", "mean-accepted")] = tokens
    values[("request-scheduling-policies", "sjf-wait")] = sum(sum(sorted([100, 10, 10, 10])[:i]) for i in range(4)) / 4
    budget = 0.90 * 80e9 - 16.06e9 - 4e9
    values[("engine-memory-knobs", "kv-blocks")] = budget // (16 * kv_bytes_per_token(32, 8, 128))
    llama2_7b_weights = 6_738_415_616 * BF16
    values[("mbu-and-mfu", "mbu-7b")] = llama2_7b_weights * 200 / H100_HBM
    kv_7b = kv_bytes_per_token(32, 32, 128)
    values[("kv-reads-vs-weight-reads", "crossover-7b")] = llama2_7b_weights / kv_7b
    values[("kv-reads-vs-weight-reads", "step-time")] = (llama2_7b_weights + 16 * 4096 * kv_7b) / H100_HBM * 1e3
    per_million = 4 * 2.50 / (3200 * 3600) * 1e6
    values[("cost-per-million-tokens", "cost-per-million")] = per_million
    values[("cost-per-million-tokens", "utilisation-effect")] = per_million / 0.6
    values[("profiling-inference", "expected-ms")] = 13.48e9 / H100_HBM * 1e3
    # two halves: compute back to back, the first half's communication hidden, the last one's exposed
    values[("communication-overlap", "exposed-time")] = 1.2 + 0.5 / 2
    return values


EXPECTED = expected_values()


# bank-b's questions: every numeric item in them must be recomputed above.
OWN_TOPICS = {"parallelism", "serving-systems", "gpu-kernels"}
OWN_SLUGS_ELSEWHERE = {
    "moe-decode-memory-traffic", "moe-grouped-gemm", "moe-capacity-and-dropping", "moe-expert-offloading",
    "mxfp4-nvfp4", "smoothquant", "weight-activation-formats", "quantization-scale-granularity",
    "eagle-draft-trees", "multi-token-prediction", "speculative-continuous-batching", "speculative-kv-rollback",
    "speculative-acceptance-factors", "request-scheduling-policies", "engine-memory-knobs", "mbu-and-mfu",
    "kv-reads-vs-weight-reads",
}


def own_numeric_items() -> list[tuple[str, str]]:
    return [
        (f.meta["slug"], item["id"])
        for f in BANK_FILES
        if f.meta.get("topic") in OWN_TOPICS or f.meta.get("slug") in OWN_SLUGS_ELSEWHERE
        for item in f.meta.get("quiz") or []
        if item.get("kind") == "numeric"
    ]


def test_every_own_numeric_item_is_recomputed() -> None:
    missing = [key for key in own_numeric_items() if key not in EXPECTED]
    assert not missing, f"numeric items with no independent recomputation: {missing}"


def quiz_item(slug: str, quiz_id: str) -> dict | None:
    for bank_file in BANK_FILES:
        if bank_file.meta.get("slug") == slug:
            return next((i for i in bank_file.meta.get("quiz") or [] if i.get("id") == quiz_id), None)
    return None


@pytest.mark.parametrize("key", list(EXPECTED), ids=lambda key: f"{key[0]}:{key[1]}")
def test_numeric_answer_matches_independent_computation(key: tuple[str, str]) -> None:
    item = quiz_item(*key)
    assert item is not None, f"quiz item {key[0]}:{key[1]} is gone; update EXPECTED"
    assert item["kind"] == "numeric", f"{key[0]}:{key[1]} is not a numeric item"
    assert within_tolerance(item, EXPECTED[key]), f"{key[0]}:{key[1]} answers {item['answer']}, recomputed {EXPECTED[key]}"


def test_ring_allreduce_formula_matches_a_known_case() -> None:
    """Two ranks each send exactly the payload once (half in each phase)."""
    assert ring_allreduce_s(100.0, 2, 1.0) == pytest.approx(100.0)
