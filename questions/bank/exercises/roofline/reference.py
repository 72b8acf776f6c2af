def attainable_tflops(flops: float, bytes_moved: float, peak_tflops: float, bandwidth_tbs: float) -> float:
    if bytes_moved == 0:
        return float(peak_tflops)  # no memory traffic: only the compute roof applies
    intensity = flops / bytes_moved  # FLOP per byte
    memory_roof = intensity * bandwidth_tbs  # FLOP/byte x 1e12 byte/s = 1e12 FLOP/s
    return float(min(peak_tflops, memory_roof))
