def expected_tokens_per_step(alpha: float, gamma: int) -> float:
    """Expected tokens one target pass yields with `gamma` drafts, each accepted with probability `alpha`
    (given all earlier ones were), counting the target's own correction or bonus token."""
    raise NotImplementedError
