"""Hidden tests for continuous-batching-step.

Oracle: written independently of the reference as a queue of single-token claims. Every token a
request could run this step is one claim, listed in priority order (running decodes, running
prefills, then the waiting requests that fit under the batch cap, FCFS); the step takes the first
``token_budget`` claims.
"""
import torch

from questions.exercises.cases import Case


def _req(rid, prompt_len, num_generated=0, num_computed=0):
    return {"id": rid, "prompt_len": prompt_len, "num_generated": num_generated, "num_computed": num_computed}


def _decoding(rid, prompt_len, num_generated):
    """A running request whose newest token is the only one not yet in the cache."""
    return _req(rid, prompt_len, num_generated, prompt_len + num_generated - 1)


def _random_server(g, n_running, n_waiting, max_batch_size, token_budget):
    def draw(lo, hi):
        return int(torch.randint(lo, hi + 1, (1,), generator=g))

    running = []
    for i in range(n_running):
        prompt = draw(1, 4000)
        if draw(0, 19) > 0:  # most running requests are decoding
            running.append(_decoding(f"r{i}", prompt, draw(1, 500)))
        else:  # the rest are part-way through a chunked prefill
            running.append(_req(f"r{i}", prompt, 0, max(0, prompt - draw(2, 300))))
    waiting = []
    for i in range(n_waiting):
        if draw(0, 9) == 0:  # preempted earlier: recomputes prompt and generated tokens
            waiting.append(_req(f"w{i}", draw(1, 2000), draw(1, 300), 0))
        else:
            waiting.append(_req(f"w{i}", draw(1, 1000)))
    return (running, waiting, max_batch_size, token_budget)


def cases(seed: int) -> list[Case]:
    g = torch.Generator().manual_seed(seed)
    two_decodes = [_decoding("a", 7, 3), _decoding("b", 12, 1)]
    return [
        Case("decodes-then-new-prompt", args=(two_decodes, [_req("c", 5)], 4, 16), visible=True, compare="exact",
             explain="Two decodes take one token each, then the queued 5-token prompt is admitted whole."),
        Case("long-prompt-is-chunked", args=([], [_req("long", 100), _req("next", 3)], 8, 32), visible=True,
             compare="exact",
             explain="A 100-token prompt under a 32-token budget runs 32 tokens; nothing else fits this step."),
        Case("tight-budget-decodes-first", args=(two_decodes + [_decoding("c", 4, 9)], [_req("d", 10)], 8, 5),
             compare="exact", explain="With 5 tokens, three running decodes come first and the new prompt gets the 2 left."),
        Case("budget-exhausted-by-decodes", args=([_decoding(f"d{i}", 5, i + 1) for i in range(6)], [_req("w", 4)], 8, 4),
             compare="exact", explain="More decodes than budget: the oldest four run, nothing is admitted."),
        Case("running-prefill-before-new",
             args=([_decoding("a", 9, 2), _req("b", 50, 0, 20)], [_req("c", 8)], 8, 20), compare="exact",
             explain="A running request mid-prefill (30 tokens left) is served before any new prompt."),
        Case("batch-cap-reached", args=(two_decodes + [_decoding("c", 3, 2)], [_req("d", 4), _req("e", 4)], 4, 64),
             compare="exact", explain="Three running and a cap of four: exactly one waiting request may join."),
        Case("fcfs-after-chunk", args=([], [_req("a", 6), _req("b", 40), _req("c", 2)], 8, 20), compare="exact",
             explain="The second prompt is chunked to the 14 tokens left; the short third one must not jump ahead of it."),
        Case("recompute-and-prefix-hit",
             args=([], [_req("pre", 10, 5, 0), _req("hit", 64, 0, 48)], 8, 64), compare="exact",
             explain="A preempted request recomputes prompt and generated tokens (15); a prefix-cache hit prefills only the 16 uncached ones."),
        Case("nothing-to-do", args=([], [], 4, 32), compare="exact",
             explain="No requests at all: nothing runs and nothing is admitted."),
        Case("large-busy-server", args=_random_server(g, 240, 300, 250, 6144), compare="exact",
             explain="240 running requests (mostly decoding), 300 queued, a 250-request cap and a 6144-token budget."),
    ]


def expected(case: Case):
    running, waiting, max_batch_size, token_budget = case.args

    def pending(r):
        return r["prompt_len"] + r["num_generated"] - r["num_computed"]

    order = [r for r in running if pending(r) == 1] + [r for r in running if pending(r) > 1]
    order += waiting[: max(0, max_batch_size - len(running))]
    claims: list[str] = []
    for r in order:
        if len(claims) >= token_budget:
            break
        claims += [r["id"]] * pending(r)
    taken = claims[:token_budget]
    tokens = {rid: taken.count(rid) for rid in dict.fromkeys(taken)}
    new_ids = {r["id"] for r in waiting}
    return {"tokens": tokens, "admitted": [rid for rid in tokens if rid in new_ids]}
