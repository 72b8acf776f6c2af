def decode_step_ms(weight_bytes: float, kv_bytes_per_token: float, context_lens: list[int], bandwidth_tbs: float) -> float:
    # The weights are read once per step and serve the whole batch; each sequence reads only its own cache.
    bytes_read = weight_bytes + kv_bytes_per_token * sum(context_lens)
    return bytes_read / (bandwidth_tbs * 1e12) * 1e3
