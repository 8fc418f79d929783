"""The optional C extension `bot.rules._speedups`, which runs the hot loops of matching.

It contains the term scan of `KeyTable.find` and the gathering of digest keys of
`RuleIndex`. The package builds it on install where a C compiler is available. Without
it, the same steps run in Python and give the same results, more slowly.
"""

from __future__ import annotations

import importlib
from types import ModuleType

_speedups: ModuleType | None
try:
    _speedups = importlib.import_module("bot.rules._speedups")
except ImportError:
    _speedups = None

# Tests set this to False to check the Python steps against the compiled ones.
enabled = True


def speedups() -> ModuleType | None:
    """Return the compiled module, or None where it is not built or `enabled` is False."""
    return _speedups if enabled else None


def is_built() -> bool:
    """Return whether the compiled module is installed."""
    return _speedups is not None
