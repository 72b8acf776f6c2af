"""``python -m engine generate|demo|bench`` (see engine/cli.py)."""
from engine.cli import main

raise SystemExit(main())
