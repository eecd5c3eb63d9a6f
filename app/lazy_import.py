"""Deferred package initialisation for third-party packages whose ``__init__`` imports far more than we use.

lancedb imports ``lance_namespace``, which imports ``lance_namespace_urllib3_client``; that package's
``__init__`` loads its whole REST client (every API module, hundreds of pydantic models): ~40% of
``import lancedb`` (measured with ``python -X importtime``), for namespace/cloud connections Lexiscope never
opens. :func:`defer_package_init` registers the package with its path set, so the submodules lancedb
actually imports load on their own; the package's ``__init__`` runs only if one of its own attributes is
read (then it runs in full, exactly as a normal import would).

pandas: ``pyarrow.dataset`` (which lance, hence lancedb, imports) asks pyarrow's pandas shim to import pandas
at once, 0.75 s and ~45 MB for a library Lexiscope never calls (every query ends in ``to_arrow``/``to_list``).
:func:`import_lancedb` hides pandas while lancedb loads, so pyarrow and lancedb record it as absent for this
process; ``import pandas`` itself still works afterwards for anyone who wants it.
"""

from __future__ import annotations

import importlib.util
import sys
from contextlib import contextmanager


def defer_package_init(name: str) -> None:
    """Register package ``name`` so that its ``__init__`` runs on first attribute access, not on import."""
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None or spec.submodule_search_locations is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    loader = spec.loader

    def __getattr__(attr: str):
        if attr.startswith("__"):
            raise AttributeError(attr)
        module.__dict__.pop("__getattr__", None)
        loader.exec_module(module)  # the real __init__, once
        return getattr(module, attr)

    module.__dict__["__getattr__"] = __getattr__  # a module-level __getattr__ (PEP 562)
    sys.modules[name] = module


class _Hide:
    """A meta-path finder that answers "no such module" for some names (see :func:`hidden`)."""

    def __init__(self, names: set[str]):
        self.names = names

    def find_spec(self, name, path=None, target=None):
        """Refuse the hidden names; leave every other import to the normal finders."""
        if name.partition(".")[0] in self.names:
            raise ModuleNotFoundError(f"No module named {name!r} (hidden while lancedb loads)", name=name)
        return None


@contextmanager
def hidden(name: str):
    """Make ``import name`` raise ModuleNotFoundError inside the block, unless it is already imported."""
    if name in sys.modules:
        yield
        return
    finder = _Hide({name})
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)


def import_lancedb():
    """``import lancedb`` without loading the namespace REST client or pandas up front."""
    defer_package_init("lance_namespace_urllib3_client")
    with hidden("pandas"):
        import lancedb
        import pyarrow.dataset  # noqa: F401  (settles pyarrow's pandas shim while pandas is hidden)

    return lancedb


def import_lance():
    """``import lance`` (pylance) without pandas, as :func:`import_lancedb`; ImportError when not installed.

    pylance defers its own namespace client, so this costs pyarrow plus lance's modules: a words-only search
    reads the index through it (``app.store.Store(lazy=True)``) instead of importing lancedb.
    """
    with hidden("pandas"):
        import lance
        import pyarrow.dataset  # noqa: F401  (as in import_lancedb)

    return lance
