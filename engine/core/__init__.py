"""The model and the generation loop: config, decoder, attention, KV caches, sampling, generate.

Reading order: ``config`` -> ``attention`` -> ``model`` -> ``kv_cache`` -> ``sampling`` -> ``generate``;
``moe`` and ``quantize`` are variations on the decoder the demos measure.
"""
