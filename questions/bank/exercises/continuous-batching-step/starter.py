def schedule_step(running: list[dict], waiting: list[dict], max_batch_size: int, token_budget: int) -> dict:
    """Decide one forward pass: {"tokens": {id: n}, "admitted": [id, ...]}.

    Each request: {"id": str, "prompt_len": int, "num_generated": int, "num_computed": int};
    pending = prompt_len + num_generated - num_computed. Order: running decodes, running prefills,
    then admissions from the waiting queue (FCFS), one shared token budget; prefills may be chunked.
    """
    raise NotImplementedError
