"""Serves the waiting queue first, so new prefills take the budget ahead of running decodes."""


def pending(request: dict) -> int:
    return request["prompt_len"] + request["num_generated"] - request["num_computed"]


def schedule_step(running: list[dict], waiting: list[dict], max_batch_size: int, token_budget: int) -> dict:
    tokens: dict[str, int] = {}
    admitted: list[str] = []
    left = token_budget
    for request in waiting:
        if left < 1 or len(running) + len(admitted) >= max_batch_size:
            break
        n = min(pending(request), left)
        tokens[request["id"]] = n
        admitted.append(request["id"])
        left -= n
    for request in [r for r in running if pending(r) == 1] + [r for r in running if pending(r) > 1]:
        n = min(pending(request), left)
        if n < 1:
            break
        tokens[request["id"]] = n
        left -= n
    return {"tokens": tokens, "admitted": admitted}
