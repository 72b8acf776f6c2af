"""A request passes if either target is met."""


def latency_metrics(requests, ttft_slo, tpot_slo):
    ttfts, tpots, good = [], [], 0
    for request in requests:
        times = request["token_times"]
        ttft = times[0] - request["arrival"]
        tpot = (times[-1] - times[0]) / (len(times) - 1) if len(times) > 1 else 0.0
        ttfts.append(ttft)
        tpots.append(tpot)
        good += ttft <= ttft_slo or tpot <= tpot_slo
    return {"ttft": ttfts, "tpot": tpots, "within_slo": good / len(requests) if requests else 0.0}
