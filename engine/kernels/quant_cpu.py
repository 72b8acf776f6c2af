"""The CPU kernels of the native-precision path: ``quant_cpu.c`` built on first use, called through ctypes.

Why our own kernel and not PyTorch's weight-packed matmuls: on the AVX2 CPUs these machines
have (no AVX-512, no AMX), measured on SmolLM2's 1536 x 576 gate matrix with one token,
``aten._weight_int4pack_mm_for_cpu`` takes ~8 ms in float32 or bfloat16 (a dense float32 matmul
takes 0.2 ms), and bfloat16 activations make every dense matmul slower too. The C kernels read
the file's blocks as they are: with int8 activations (the default, llama.cpp's scheme) a block's
dot product is integer arithmetic; with float32 ones (the reference) the weights are converted to
float32 in registers. Either can apply an RMSNorm to x first (``norm=``), which is how the native
model runs its pre-norms.

The library is compiled once per source and CPU with the system C compiler (``CC``, default ``cc``),
``-O3 -march=native -pthread``, into torch's cache for compiled extensions (``TORCH_EXTENSIONS_DIR``,
default ``~/.cache/torch_extensions``, the variable ``torch.utils.cpp_extension`` honours too). Without a compiler, AVX2 or
F16C, :func:`library` returns None and the caller falls back to dequantising in torch (correct,
slower); :func:`unavailable_reason` says why.
"""
from __future__ import annotations

import ctypes
import hashlib
import os
import platform
import subprocess
import threading
from pathlib import Path

import torch

SOURCE = Path(__file__).with_name("quant_cpu.c")
FLAGS = ("-O3", "-march=native", "-pthread", "-shared", "-fPIC", "-std=c11")

_lock = threading.Lock()
_library: ctypes.CDLL | None = None
_reason: str | None = None  # why the library is unavailable, once we know it is

_i64, _int, _ptr, _f32 = ctypes.c_int64, ctypes.c_int, ctypes.c_void_p, ctypes.c_float
_SIGNATURES = {  # the matmuls end with (threads, RMSNorm weight or NULL, its eps, SwiGLU input 0/1)
    "q4_1_matmul": (_ptr, _i64, _i64, _ptr, _ptr, _ptr, _i64, _ptr, _int, _ptr, _f32, _int),
    "q8_0_matmul": (_ptr, _i64, _i64, _ptr, _ptr, _i64, _ptr, _int, _ptr, _f32, _int),
    "q4_1_q8_matmul": (_ptr, _i64, _i64, _ptr, _ptr, _ptr, _i64, _ptr, _int, _ptr, _f32, _int),
    "q8_0_q8_matmul": (_ptr, _i64, _i64, _ptr, _ptr, _i64, _ptr, _int, _ptr, _f32, _int),
    "q8_roundtrip": (_ptr, _i64, _i64, _ptr),
    "q4_1_dequantize": (_ptr, _ptr, _ptr, _i64, _i64, _ptr, _int),
    "q8_0_dequantize": (_ptr, _ptr, _i64, _i64, _ptr, _int),
    # q, its batch and head strides, k, v, their batch and head strides, B, H, Hkv, S, D, scale, y
    "attend_one_query": (_ptr, _i64, _i64, _ptr, _ptr, _i64, _i64, _i64, _i64, _i64, _i64, _i64, _f32, _ptr),
    "rope_in_place": (_ptr, _i64, _i64, _i64, _i64, _i64, _ptr, _ptr),  # x, B, T, row stride, heads, D, cos, sin
    "f32_matmul": (_ptr, _i64, _i64, _ptr, _i64, _ptr, _int),  # x, M, K, W, N, y, threads
    # layers, n_layers, x, B, C, cache, max_len, pos, H, Hkv, D, scale, cos, sin
    "native_decode_layers": (_ptr, _i64, _ptr, _i64, _i64, _ptr, _i64, _i64, _i64, _i64, _i64, _f32, _ptr, _ptr),
}


def _cpu_key() -> str:
    """Identifies the instruction set -march=native will target (model name and flags)."""
    try:
        info = Path("/proc/cpuinfo").read_text()
        lines = [line for line in info.splitlines() if line.startswith(("model name", "flags"))][:2]
    except OSError:
        lines = []
    return "|".join(lines) or platform.processor() or platform.machine()


def build_dir() -> Path:
    root = os.environ.get("TORCH_EXTENSIONS_DIR") or Path.home() / ".cache" / "torch_extensions"
    return Path(root) / "engine"


def _build(target: Path) -> None:
    compiler = os.environ.get("CC", "cc")
    partial = target.with_suffix(f".{os.getpid()}.partial")
    command = [compiler, *FLAGS, str(SOURCE), "-o", str(partial)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise OSError(f"`{' '.join(command)}` failed: {done.stderr.strip()[-500:]}")
    os.replace(partial, target)  # concurrent workers never load half a file


def library() -> ctypes.CDLL | None:
    """The compiled kernels, building them if needed; None when this machine cannot build or run them."""
    global _library, _reason
    if _library is not None or _reason is not None:
        return _library
    with _lock:
        if _library is not None or _reason is not None:
            return _library
        if platform.machine() not in ("x86_64", "AMD64"):
            _reason = f"the CPU kernels need x86-64 with AVX2, this machine is {platform.machine()}"
            return None
        digest = hashlib.sha256(SOURCE.read_bytes() + " ".join(FLAGS).encode() + _cpu_key().encode()).hexdigest()[:16]
        target = build_dir() / f"quant_cpu-{digest}.so"
        try:
            if not target.is_file():
                target.parent.mkdir(parents=True, exist_ok=True)
                _build(target)
            lib = ctypes.CDLL(str(target))
        except (OSError, subprocess.SubprocessError) as exc:
            _reason = f"could not build the CPU kernels: {exc}"
            return None
        for name, args in _SIGNATURES.items():
            fn = getattr(lib, name)
            fn.argtypes, fn.restype = args, None
        _library = lib
        return lib


def unavailable_reason() -> str | None:
    library()
    return _reason


def required_library() -> ctypes.CDLL:
    """The library, for callers that have no torch fallback of their own."""
    lib = library()
    if lib is None:
        raise RuntimeError(f"the CPU kernels are unavailable: {unavailable_reason()}")
    return lib


# How the kernels take the activations (see quant_cpu.c): "int8" quantises each row into blocks of
# 32 int8 with a float scale and multiplies in integers (llama.cpp's scheme, the fast one);
# "float32" keeps them as they are (the reference: only the order of the additions differs).
ACTIVATIONS = ("int8", "float32")
_KERNELS = {("Q4_1", "int8"): "q4_1_q8_matmul", ("Q8_0", "int8"): "q8_0_q8_matmul",
            ("Q4_1", "float32"): "q4_1_matmul", ("Q8_0", "float32"): "q8_0_matmul"}


class NativeMatrix(ctypes.Structure):
    """One matrix as native_decode_layers reads it (quant_cpu.c's native_matrix, field for field)."""

    _fields_ = [("kernel", ctypes.c_int32), ("nthreads", ctypes.c_int32), ("glu", ctypes.c_int32), ("eps", ctypes.c_float),
                ("qs", _ptr), ("d", _ptr), ("mn", _ptr), ("norm", _ptr), ("N", _i64), ("K", _i64)]


class NativeLayer(ctypes.Structure):
    """A layer's four matrices, in the order the decode step applies them (quant_cpu.c's native_layer)."""

    _fields_ = [("qkv", NativeMatrix), ("o", NativeMatrix), ("gate_up", NativeMatrix), ("down", NativeMatrix)]


# NativeMatrix.kernel: the index of the matmul in this tuple (quant_cpu.c's NATIVE_* enum).
_NATIVE_KERNELS = ("q4_1_q8_matmul", "q8_0_q8_matmul", "q4_1_matmul", "q8_0_matmul")


# Matrices with fewer weights than this run on the calling thread alone; every SmolLM2 matrix (the
# smallest, o_proj, has 332k weights) is split across the row pool. A split pays once the step has no
# Python between its kernels (engine.core.native_step): decode p10 / median of 128 steps, 2 cores,
# split vs. calling thread only, measured 2026-12-05: quiet machine 6.5-7.2 / 6.9-7.8 ms vs 9.1-9.5 /
# 9.8-10.1 ms; next to one busy process 9.1-9.5 / 12.1-12.4 vs 9.7-11.2 / 11.1-11.7; next to two,
# 12.6-13.4 / 13.8-14.8 vs 9.9-11.5 / 15.1-20.2. (With ~4 ms of Python per step, before the C step,
# splitting was a loss: at load 5, p10 21 ms on one thread against 43 ms split.) Tiny matrices
# (tests' toy models) stay on one thread: waking a helper costs more than their work.
PARALLEL_MIN_WEIGHTS = 300_000


class BoundMatmul:
    """One matrix's kernel with its block pointers resolved once.

    A SmolLM2 decode step makes 121 of these calls; resolving the function and five pointers per
    call was measurable next to a kernel that takes tens of microseconds.
    """

    def __init__(
        self,
        qtype: str,
        parts: tuple[torch.Tensor, ...],
        out_features: int,
        activations: str = "int8",
        norm: tuple[torch.Tensor, float] | None = None,
        glu: bool = False,
    ):
        """``norm``: (weight [K] float32 contiguous, eps) of an RMSNorm to apply to x first (see quant_cpu.c).

        ``glu``: x rows hold 2K values, SwiGLU's gate then up, and the matmul multiplies silu(gate) * up.
        """
        lib = required_library()
        if activations not in ACTIVATIONS:
            raise ValueError(f"activations: unknown option {activations!r}; choose one of {', '.join(ACTIVATIONS)}")
        self.kernel_name = _KERNELS[qtype, activations]
        self.fn = getattr(lib, self.kernel_name)
        self.parts, self.norm = parts, norm  # kept alive: the pointers below point into them
        self.pointers = tuple(p.data_ptr() for p in parts)
        self.norm_args = (*((norm[0].data_ptr(), norm[1]) if norm is not None else (None, 0.0)), int(glu))
        self.out_features, self.in_features = out_features, parts[0].shape[1] * 32
        self.parallel = out_features * parts[0].shape[1] * 32 >= PARALLEL_MIN_WEIGHTS

    def threads(self) -> int:
        return torch.get_num_threads() if self.parallel else 1

    def native_matrix(self) -> NativeMatrix:
        """This call's arguments as native_decode_layers takes them (the same kernel, pointers and threads)."""
        pointers = (*self.pointers, None) if len(self.pointers) == 2 else self.pointers  # Q8_0 has no minimum
        norm, eps, glu = self.norm_args
        return NativeMatrix(_NATIVE_KERNELS.index(self.kernel_name), self.threads(), glu, eps, *pointers, norm,
                            self.out_features, self.in_features)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """y [M, N] = x [M, K] (float32, contiguous) @ W^T."""
        return self.rows_into(x, x.shape[0], x.shape[:1])

    def rows_into(self, x: torch.Tensor, rows: int, lead: tuple[int, ...]) -> torch.Tensor:
        """y [*lead, N] = x [*lead, K] @ W^T for x float32 contiguous holding ``rows`` = prod(lead) rows of K (2K with glu)."""
        y = torch.empty((*lead, self.out_features), dtype=torch.float32)
        self.fn(x.data_ptr(), rows, self.in_features, *self.pointers, self.out_features, y.data_ptr(), self.threads(), *self.norm_args)
        return y


def matmul(
    x: torch.Tensor,
    qtype: str,
    parts: tuple[torch.Tensor, ...],
    out_features: int,
    activations: str = "int8",
    norm: tuple[torch.Tensor, float] | None = None,
    glu: bool = False,
) -> torch.Tensor:
    """y = x @ W^T (or RMSNorm(x) @ W^T, or (silu(gate) * up) @ W^T) for x [M, K or 2K] float32 contiguous, W as its GGUF blocks."""
    return BoundMatmul(qtype, parts, out_features, activations, norm, glu)(x)


# The float32 kernel's limits. Up to this many token rows it reads the weights once and beats F.linear
# (MKL's sgemv); more rows re-read each weight row from L1 per token row, where MKL's sgemm blocks better.
F32_MAX_ROWS = 8
# Which float32 matmuls split across the row pool: every SmolLM2 matrix (the smallest, o_proj, has 332k
# weights), as for the blocks (PARALLEL_MIN_WEIGHTS): a float32 matrix is 4-8x the bytes, so a layer's
# matmul (0.1-0.4 ms) is long next to waking the helper. Measured on SmolLM2's decode step (p10 of 64
# steps, 3 interleaved rounds, 2 cores shared with other jobs), 8-row kernel at load ~1: every matmul split
# 31.7-33.2 ms, those of >= 800k weights 33.7-36.1, the LM head only 39.1-41.4, MKL's F.linear 45.9-49.1.
# At load ~2 (4-row kernel) splitting everything was noisier (42.7-47.4 ms vs the head only 43.0-43.9):
# a helper preempted mid-chunk makes the caller wait for it.
F32_PARALLEL_MIN_WEIGHTS = 300_000


def f32_linear(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor | None:
    """y [..., N] = x [..., K] @ weight [N, K]^T in C for a decode step's few token rows; None when it cannot.

    The float32 path's decode linears (engine.core.model.Linear.kernel, set by engine.io.loader.load_model
    on the CPU). Only the order of the float32 additions differs from F.linear's. None (the caller uses
    F.linear) for more than F32_MAX_ROWS rows, tensors that are not contiguous float32 on the CPU, or
    no library.
    """
    lib = _library or library()
    K = x.shape[-1]
    if (
        lib is None or x.numel() == 0 or x.numel() > F32_MAX_ROWS * K
        or x.dtype != torch.float32 or weight.dtype != torch.float32 or x.device.type != "cpu" or weight.device.type != "cpu"
        or not x.is_contiguous() or not weight.is_contiguous() or weight.shape[1] != K
    ):
        return None
    N = weight.shape[0]
    y = torch.empty((*x.shape[:-1], N), dtype=torch.float32)
    threads = torch.get_num_threads() if N * K >= F32_PARALLEL_MIN_WEIGHTS else 1
    lib.f32_matmul(x.data_ptr(), x.numel() // K, K, weight.data_ptr(), N, y.data_ptr(), threads)
    return y


def int8_activations(x: torch.Tensor) -> torch.Tensor:
    """x [M, K] float32 as the "int8" kernels see it: each block of 32 rounded to dx * int8, dx = max|x| / 127."""
    lib = required_library()
    x = x.float().contiguous()
    out = torch.empty_like(x)
    lib.q8_roundtrip(x.data_ptr(), x.shape[0], x.shape[1], out.data_ptr())
    return out


def dequantize(qtype: str, parts: tuple[torch.Tensor, ...], rows: int, blocks: int) -> torch.Tensor:
    """The float32 weights [rows, blocks * 32] the blocks stand for, computed by the C kernel."""
    lib = required_library()
    out = torch.empty((rows, blocks * 32), dtype=torch.float32)
    fn = lib.q4_1_dequantize if qtype == "Q4_1" else lib.q8_0_dequantize
    fn(*(p.data_ptr() for p in parts), rows, blocks, out.data_ptr(), torch.get_num_threads())
    return out


def attend_one_query(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, scale: float) -> torch.Tensor | None:
    """One query per row's attention: q [B, H, 1, D], k and v [B, Hkv, S, D] float32 -> y [B, 1, H * D].

    The decode step's attention over every cached key (no mask; grouped-query when Hkv < H), in C
    on the calling thread (see quant_cpu.c for why). Returns None when the kernel cannot take these
    tensors (no library, not float32 on the CPU, rows of D not contiguous, D not a multiple of 32, k and v
    laid out differently) and the caller should use SDPA. The output rows are what the output
    projection reads: [B, 1, H * D], contiguous.
    """
    lib = library()
    B, H, _, D = q.shape
    Hkv, S = k.shape[1], k.shape[2]
    if (
        lib is None
        or q.dtype != torch.float32 or k.dtype != torch.float32 or v.dtype != torch.float32
        or q.device.type != "cpu" or k.device.type != "cpu"
        or D % 32 or H % Hkv or S == 0
        or q.stride(3) != 1 or k.stride()[2:] != (D, 1) or k.stride() != v.stride()
    ):
        return None
    y = torch.empty((B, 1, H * D), dtype=torch.float32)
    lib.attend_one_query(q.data_ptr(), q.stride(0), q.stride(1), k.data_ptr(), v.data_ptr(), k.stride(0), k.stride(1),
                         B, H, Hkv, S, D, scale, y.data_ptr())
    return y


def rope_in_place(qkv: torch.Tensor, heads: int, head_dim: int, cos: torch.Tensor, sin: torch.Tensor) -> bool:
    """Rotate the first ``heads`` heads of every row of ``qkv`` [B, T, W] in place; False when the kernel cannot.

    ``cos``/``sin`` are engine.core.model.RotaryEmbedding tables for positions shared by the batch
    ([T, D]); the result is engine.core.model.apply_rope's up to float32 rounding (see quant_cpu.c).
    The caller falls back to apply_rope on False (no library, not float32 contiguous CPU tensors,
    per-row positions).
    """
    lib = library()
    if (
        lib is None or qkv.dtype != torch.float32 or qkv.device.type != "cpu" or not qkv.is_contiguous()
        or cos.dim() != 2 or not cos.is_contiguous() or not sin.is_contiguous() or head_dim % 2
    ):
        return False
    B, T, W = qkv.shape
    lib.rope_in_place(qkv.data_ptr(), B, T, W, heads, head_dim, cos.data_ptr(), sin.data_ptr())
    return True
