"""``python -m engine bench``: the benchmark reports (``BENCHMARKS*.md``) built from ``engine.experiments``."""
