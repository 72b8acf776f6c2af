def max_concurrent_sequences(
    gpu_bytes: int,
    weight_bytes: int,
    kv_bytes_per_token: int,
    tokens_per_sequence: int,
    block_size: int,
    memory_utilization: float,
) -> int:
    """Sequences of `tokens_per_sequence` tokens that fit at once in the KV block pool left beside the weights."""
    raise NotImplementedError
