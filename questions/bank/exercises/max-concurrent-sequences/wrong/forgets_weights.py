"""The whole usable memory goes to the KV pool; the weights are forgotten."""


def max_concurrent_sequences(gpu_bytes, weight_bytes, kv_bytes_per_token, tokens_per_sequence, block_size, memory_utilization):
    usable = int(gpu_bytes * memory_utilization)
    pool_blocks = usable // (block_size * kv_bytes_per_token)
    return pool_blocks // -(-tokens_per_sequence // block_size)
