def decode_step_ms(weight_bytes: float, kv_bytes_per_token: float, context_lens: list[int], bandwidth_tbs: float) -> float:
    """Bandwidth-bound time of one decode step in ms: weights read once per step plus each sequence's KV cache."""
    raise NotImplementedError
