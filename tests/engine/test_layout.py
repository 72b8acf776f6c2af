"""The engine's layout: layers import only the layers above them, the README maps every module,
and the public names keep working after the move into folders."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ENGINE = Path(__file__).resolve().parents[2] / "engine"

# layer -> the engine layers it may import (besides itself and the torch-free top-level modules)
ALLOWED = {
    "kernels": set(),
    "core": {"kernels"},
    "io": {"core"},
    "serving": {"core", "kernels"},
    "experiments": {"core", "io", "serving", "kernels"},
    "bench": {"core", "io", "serving", "kernels", "experiments", "demos"},  # bench-demos times the demos
    "demos": {"core", "io", "serving", "kernels", "experiments"},
}
TOP_LEVEL_SHARED = {"formulas", "environment", "runtime"}


def engine_imports(path: Path) -> set[str]:
    """Every ``engine.<layer>`` a module imports, at the top or inside functions."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "engine" and len(parts) > 1:
                found.add(parts[1])
    return found


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_each_layer_imports_only_the_layers_above_it(layer):
    offenders = {}
    for path in sorted((ENGINE / layer).glob("*.py")):
        bad = engine_imports(path) - ALLOWED[layer] - TOP_LEVEL_SHARED - {layer}
        if bad:
            offenders[path.name] = sorted(bad)
    assert not offenders, f"engine/{layer} imports layers it must not: {offenders}"


def test_the_readme_maps_every_module():
    readme = (ENGINE / "README.md").read_text(encoding="utf-8")
    modules = [p.relative_to(ENGINE).as_posix() for p in ENGINE.rglob("*.py")]
    # Subpackage __init__ files only hold a docstring; each demo is listed by the registry, not the README.
    listed = [m for m in modules if not (m.endswith("/__init__.py") or m.startswith("demos/"))]
    missing = sorted(m for m in listed if f"`{m}`" not in readme)
    assert not missing, f"engine/README.md does not mention {missing}"


def test_public_module_names_are_the_core_modules():
    import engine.attention
    import engine.core.attention
    import engine.core.sampling
    import engine.sampling

    assert engine.attention is engine.core.attention and callable(engine.attention.attention)
    assert engine.sampling is engine.core.sampling and callable(engine.sampling.process_logits)


def test_contiguous_and_paged_caches_satisfy_the_cache_protocol():
    import torch

    from engine.core.config import ModelConfig
    from engine.core.kv_cache import CACHE_TYPES, KVCacheProtocol, make_cache
    from engine.serving.paged_kv_cache import PagedStep

    config = ModelConfig(vocab_size=64, d_model=32, n_layers=1, n_heads=2, n_kv_heads=1, d_ff=64, max_seq_len=32)
    for kind in CACHE_TYPES:
        cache = make_cache(kind, config, 1, 16, window=8 if kind == "sliding" else None)
        assert isinstance(cache, KVCacheProtocol), kind
    step = PagedStep(torch.zeros(1, 2, 16, 1, 16), torch.zeros(1, 4, dtype=torch.long), torch.zeros(1, 1, dtype=torch.long))
    assert isinstance(step, KVCacheProtocol)
    assert not isinstance(object(), KVCacheProtocol)
