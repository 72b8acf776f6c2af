"""Hidden tests for latency-metrics.

Oracle: the engine's request bookkeeping (engine.serving.batching): each request is replayed into the
batcher's per-request record, one accepted token at a time, and its RequestOutput gives TTFT and TPOT.
The SLO share is counted here. Random times are drawn on a 1/1024 s grid, so every TTFT is exact in
floating point; the random case's TPOT target is 72/1031 s, a fraction no TPOT of fewer than 1031 gaps
can come within 1e-9 of, so no request sits on the boundary up to rounding.
"""
import torch

from questions.exercises.cases import Case


def _req(arrival, times):
    return {"arrival": float(arrival), "token_times": [float(t) for t in times]}


def _random_requests(g, count, max_tokens):
    def ticks(lo, hi):
        return int(torch.randint(lo, hi + 1, (1,), generator=g)) / 1024

    requests = []
    for _ in range(count):
        arrival = ticks(0, 60 * 1024)
        first = arrival + ticks(10, 4 * 1024)  # queueing plus prefill: up to 4 s
        times = [first]
        for _ in range(int(torch.randint(0, max_tokens, (1,), generator=g))):
            times.append(times[-1] + ticks(5, 120))  # 5 to 120 ms per token
        requests.append(_req(arrival, times))
    return requests


def cases(seed: int) -> list[Case]:
    g = torch.Generator().manual_seed(seed)
    return [
        Case("four-tokens", args=([_req(0.0, [0.5, 0.625, 0.75, 0.875])], 1.0, 0.25), visible=True,
             explain="Arrival at 0, tokens at 0.5 and then every 0.125 s: TTFT 0.5, TPOT 0.125, within SLO."),
        Case("mixed-slo-outcomes",
             args=([_req(0.0, [0.25, 0.5]), _req(0.0, [2.0, 2.0625]), _req(1.0, [1.25, 2.25, 3.25])], 1.0, 0.5),
             visible=True,
             explain="One request meets both targets, one misses TTFT, one misses TPOT: a third are within SLO."),
        Case("single-token", args=([_req(3.0, [3.5])], 1.0, 0.1),
             explain="One output token has no gap: TPOT is 0."),
        Case("queued-request", args=([_req(10.0, [12.5, 12.5625, 12.625, 12.6875, 12.75])], 2.0, 0.1),
             explain="2.5 s in the queue count towards TTFT and not towards TPOT."),
        Case("exactly-on-target", args=([_req(0.0, [0.5, 0.75, 1.0])], 0.5, 0.25),
             explain="TTFT and TPOT equal to their targets are within SLO."),
        Case("no-requests", args=([], 1.0, 0.1),
             explain="No requests: empty lists and a share of 0.0."),
        Case("large-many-requests", args=(_random_requests(g, 500, 400), 2.0, 72 / 1031),
             explain="500 requests with up to 400 tokens each, random queueing and decode speeds, SLOs of 2 s and about 70 ms."),
    ]


def expected(case: Case):
    from engine.serving.batching import GenerationRequest, _Live

    requests, ttft_slo, tpot_slo = case.args
    ttfts, tpots = [], []
    for request in requests:
        times = request["token_times"]
        live = _Live(0, GenerationRequest(prompt=(0,), max_new_tokens=len(times)), request["arrival"], None)
        for token_time in times:
            live.accept(1, token_time)  # the last accepted token finishes it (max_new_tokens reached)
        output = live.output()
        ttfts.append(output.ttft_s)
        tpots.append(output.tpot_s)
    within = sum(t <= ttft_slo and p <= tpot_slo for t, p in zip(ttfts, tpots))
    return {"ttft": ttfts, "tpot": tpots, "within_slo": within / len(requests) if requests else 0.0}
