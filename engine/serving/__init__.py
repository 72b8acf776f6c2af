"""Many requests at once: the paged KV cache, attention through block tables, batching, speculative decoding."""
