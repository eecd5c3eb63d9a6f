"""Importing a package while keeping an optional dependency of it out of the process.

Some packages import every optional backend they could use at import time. spaCy's ``thinc`` runs
``import torch`` to learn whether torch is there, although a CNN pipeline such as en_core_web_sm never calls
it (NER ready in a fresh process in 4.4–5.1 s and 601 MB with it, 2.0 s and 132 MB without, on the reference
CPU). Inside :func:`hidden` such an import fails as "not installed", so the package records the backend as
absent for this process; outside the block the real import works as before.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager


class _Hide:
    """A meta-path finder that answers "no such module" for some names (see :func:`hidden`)."""

    def __init__(self, names: set[str], why: str):
        self.names = names
        self.why = why

    def find_spec(self, name, path=None, target=None):
        """Refuse the hidden names; leave every other import to the normal finders."""
        if name.partition(".")[0] in self.names:
            raise ModuleNotFoundError(f"No module named {name!r} ({self.why})", name=name)
        return None


@contextmanager
def hidden(name: str, why: str = "hidden for this import") -> Iterator[None]:
    """Make ``import name`` raise ModuleNotFoundError inside the block, unless it is already imported."""
    if name in sys.modules:
        yield
        return
    finder = _Hide({name}, why)
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)


__all__ = ["hidden"]
