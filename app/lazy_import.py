"""Deferred package initialisation for third-party packages whose ``__init__`` imports far more than we use.

lancedb imports ``lance_namespace``, which imports ``lance_namespace_urllib3_client``; that package's
``__init__`` loads its whole REST client (every API module, hundreds of pydantic models): ~40% of
``import lancedb`` (measured with ``python -X importtime``), for namespace/cloud connections Lexiscope never
opens. :func:`defer_package_init` registers the package with its path set, so the submodules lancedb
actually imports load on their own; the package's ``__init__`` runs only if one of its own attributes is
read (then it runs in full, exactly as a normal import would).
"""

from __future__ import annotations

import importlib.util
import sys


def defer_package_init(name: str) -> None:
    """Register package ``name`` so that its ``__init__`` runs on first attribute access, not on import."""
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None or spec.submodule_search_locations is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)

    def __getattr__(attr: str):
        if attr.startswith("__"):
            raise AttributeError(attr)
        module.__dict__.pop("__getattr__", None)
        spec.loader.exec_module(module)  # the real __init__, once
        return getattr(module, attr)

    module.__getattr__ = __getattr__
    sys.modules[name] = module


def import_lancedb():
    """``import lancedb`` without loading the namespace REST client up front."""
    defer_package_init("lance_namespace_urllib3_client")
    import lancedb

    return lancedb
