def latency_metrics(requests: list[dict], ttft_slo: float, tpot_slo: float) -> dict:
    ttfts, tpots, good = [], [], 0
    for request in requests:
        times = request["token_times"]
        ttft = times[0] - request["arrival"]  # queueing and prefill count: the user waited through them
        tpot = (times[-1] - times[0]) / (len(times) - 1) if len(times) > 1 else 0.0  # n tokens, n - 1 gaps
        ttfts.append(ttft)
        tpots.append(tpot)
        good += ttft <= ttft_slo and tpot <= tpot_slo
    return {"ttft": ttfts, "tpot": tpots, "within_slo": good / len(requests) if requests else 0.0}
