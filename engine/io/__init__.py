"""Getting a model in: GGUF reading and the dequantised weight cache (``gguf``), the tokenizer, ``load_model``."""
