"""Divides free bytes by one sequence's bytes, with no block granularity."""


def max_concurrent_sequences(gpu_bytes, weight_bytes, kv_bytes_per_token, tokens_per_sequence, block_size, memory_utilization):
    usable = int(gpu_bytes * memory_utilization)
    free = max(0, usable - weight_bytes)
    return free // (tokens_per_sequence * kv_bytes_per_token)
