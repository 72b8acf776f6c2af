"""TPOT divided by the token count instead of the number of gaps."""


def latency_metrics(requests, ttft_slo, tpot_slo):
    ttfts, tpots, good = [], [], 0
    for request in requests:
        times = request["token_times"]
        ttft = times[0] - request["arrival"]
        tpot = (times[-1] - times[0]) / len(times)
        ttfts.append(ttft)
        tpots.append(tpot)
        good += ttft <= ttft_slo and tpot <= tpot_slo
    return {"ttft": ttfts, "tpot": tpots, "within_slo": good / len(requests) if requests else 0.0}
