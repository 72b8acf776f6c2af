"""Measurement code the demos and the benchmarks share: one timer, decode steppers, serving and memory experiments.

Demos import from here, never from ``engine.bench`` (which only arranges these into reports).
"""
