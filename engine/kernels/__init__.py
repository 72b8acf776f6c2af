"""Triton kernels: FlashAttention forward (``flash_attention``) and paged decode attention (``paged_decode``).

They run compiled on CUDA, and on CPU tensors under Triton's interpreter (``TRITON_INTERPRET=1``).
"""
