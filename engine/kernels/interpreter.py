"""Triton interpreter compatibility shared by the kernels (CPU runs under ``TRITON_INTERPRET=1``)."""
from __future__ import annotations


def let_the_interpreter_index_with_numpy_2_4() -> None:
    """Make Triton 3.6's interpreter accept tensors as ``range()`` bounds under NumPy >= 2.4.

    The interpreter turns a scalar tensor (a 1-element array) into a Python int with
    ``int(array)``, which NumPy 2.4 no longer allows for arrays with a dimension. Our
    kernel's key loop has per-program bounds, so without this the interpreter cannot
    run it. Compiled kernels are unaffected; this only touches the interpreter.
    """
    from triton.runtime import interpreter

    original = interpreter._patch_lang_tensor
    if getattr(original, "numpy_index_fix", False):
        return

    def patch_lang_tensor(tensor, scope):
        original(tensor, scope)
        scope.set_attr(tensor, "__index__", lambda self: int(self.handle.data.reshape(-1)[0]))

    patch_lang_tensor.numpy_index_fix = True  # type: ignore[attr-defined]
    interpreter._patch_lang_tensor = patch_lang_tensor
