"""Where a measurement was taken: every demo result and benchmark carries this."""
from __future__ import annotations

import platform
import socket
from functools import lru_cache

from engine.runtime import wait_policy

ENGINE_VERSION = "0.1.0"


@lru_cache(maxsize=1)
def describe_environment() -> dict[str, str | int | None]:
    import torch

    try:
        import triton

        triton_version = triton.__version__
    except Exception:  # triton is optional on CPU machines
        triton_version = None
    cuda = torch.cuda.is_available()
    return {
        "engine": ENGINE_VERSION,
        "host": socket.gethostname(),
        "device": "cuda" if cuda else "cpu",
        "gpu_name": torch.cuda.get_device_name(0) if cuda else None,
        "cpu": platform.processor() or platform.machine(),
        "cpu_threads": torch.get_num_threads(),
        "omp_wait_policy": wait_policy(),  # idle threads spin or sleep: severalfold on a shared machine
        "torch": torch.__version__,
        "triton": triton_version,
        "python": platform.python_version(),
    }
