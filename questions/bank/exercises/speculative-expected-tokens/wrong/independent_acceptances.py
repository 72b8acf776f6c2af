"""Judges every draft on its own: gamma * alpha accepted, plus one."""


def expected_tokens_per_step(alpha, gamma):
    return 1 + gamma * alpha
