"""Returns the larger roof instead of the smaller one."""


def attainable_tflops(flops, bytes_moved, peak_tflops, bandwidth_tbs):
    if bytes_moved == 0:
        return float(peak_tflops)
    return float(max(peak_tflops, flops / bytes_moved * bandwidth_tbs))
