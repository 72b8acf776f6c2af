"""Divides bytes by FLOPs: the intensity is upside down."""


def attainable_tflops(flops, bytes_moved, peak_tflops, bandwidth_tbs):
    if flops == 0:
        return float(peak_tflops)
    return float(min(peak_tflops, bytes_moved / flops * bandwidth_tbs))
