"""Rounds the blocks per sequence down, so the partly filled last block is not counted."""


def max_concurrent_sequences(gpu_bytes, weight_bytes, kv_bytes_per_token, tokens_per_sequence, block_size, memory_utilization):
    usable = int(gpu_bytes * memory_utilization)
    free = max(0, usable - weight_bytes)
    pool_blocks = free // (block_size * kv_bytes_per_token)
    return pool_blocks // max(1, tokens_per_sequence // block_size)
