def latency_metrics(requests: list[dict], ttft_slo: float, tpot_slo: float) -> dict:
    """{"ttft": [...], "tpot": [...], "within_slo": fraction meeting both targets}.

    Each request: {"arrival": float, "token_times": [float, ...]}. TTFT = first token - arrival;
    TPOT = (last - first) / (n - 1), 0 for one token.
    """
    raise NotImplementedError
