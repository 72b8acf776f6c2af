def max_concurrent_sequences(
    gpu_bytes: int,
    weight_bytes: int,
    kv_bytes_per_token: int,
    tokens_per_sequence: int,
    block_size: int,
    memory_utilization: float,
) -> int:
    usable = int(gpu_bytes * memory_utilization)  # the float product, floored (non-negative, so int() floors)
    free = max(0, usable - weight_bytes)
    pool_blocks = free // (block_size * kv_bytes_per_token)
    blocks_per_sequence = -(-tokens_per_sequence // block_size)  # ceiling: a partly filled last block is a block
    return pool_blocks // blocks_per_sequence
