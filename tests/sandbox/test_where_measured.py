"""The "measured on …" line: the machine behind a number, written as a reader would say it."""

from __future__ import annotations

from sandbox.display.rendering import where_measured

CPU_WORKER = {
    "engine": "0.1.0",
    "host": "vm",
    "device": "cpu",
    "gpu_name": None,
    "cpu": "x86_64",
    "cpu_threads": 2,
    "torch": "2.13.0+cpu",
    "triton": "3.6.0",
    "python": "3.11.7",
}


def test_a_cpu_result_names_the_device_once_with_host_threads_and_versions():
    text = where_measured(CPU_WORKER)
    assert text == "CPU (host vm, 2 threads, torch 2.13.0, triton 3.6.0, engine 0.1.0)"
    assert "cpu on" not in text.lower()


def test_a_gpu_result_names_the_card_and_leaves_out_cpu_threads():
    gpu = dict(CPU_WORKER, device="cuda", gpu_name="NVIDIA H100 80GB HBM3", cpu_threads=16, torch="2.13.0+cu128")
    assert where_measured(gpu) == "NVIDIA H100 80GB HBM3 (host vm, torch 2.13.0+cu128, triton 3.6.0, engine 0.1.0)"


def test_the_worker_that_ran_it_wins_over_the_host_that_described_it():
    assert where_measured(dict(CPU_WORKER, worker="celery-3")).startswith("CPU (host celery-3,")


def test_code_runs_say_which_sandbox_held_them():
    assert where_measured({"device": "cpu", "cpu_threads": 1, "sandbox": "bubblewrap"}) == (
        "CPU (1 thread, sandbox bubblewrap)"
    )


def test_sparse_or_missing_descriptions_still_read_as_a_phrase():
    assert where_measured({}) == "an unknown machine"
    assert where_measured({"device": "cuda"}) == "a CUDA GPU"
