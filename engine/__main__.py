"""``python -m engine generate|demo|bench`` (see engine/cli.py)."""
from engine.runtime import prefer_sleeping_threads

prefer_sleeping_threads()  # before engine.cli can load torch

from engine.cli import main  # noqa: E402

raise SystemExit(main())
