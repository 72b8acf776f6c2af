def attainable_tflops(flops: float, bytes_moved: float, peak_tflops: float, bandwidth_tbs: float) -> float:
    """Roofline bound in TFLOP/s: min(peak, (flops / bytes_moved) * bandwidth). Peak when nothing is moved."""
    raise NotImplementedError
