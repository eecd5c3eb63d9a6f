"""Indexing on a Ray cluster (the ``cluster`` extra): the same stages as the local indexer, run by Ray Data.

Ray is optional: nothing in ``app`` imports it until ``lexiscope index --ray`` runs, and :func:`require_ray`
is the one place that probes for it (and for pylance, which the fragment writers use).
"""

from __future__ import annotations

import importlib.util
import warnings

from app.errors import UserError

INSTALL_HINT = 'pip install "lexiscope[cluster]"'


class ClusterUnavailable(UserError):
    """Ray (or Lance) is not installed: indexing on a cluster needs the ``cluster`` extra."""


def require_ray():
    """Import and return ``ray`` (with ``ray.data`` and ``lance`` checked), or raise ClusterUnavailable.

    Only a missing top-level package means "not installed"; any other import error is a real bug in an
    installed package and surfaces as itself.
    """
    try:
        import ray
        import ray.data  # noqa: F401
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] != "ray":
            raise
        raise ClusterUnavailable(f"indexing on a Ray cluster needs the cluster extra (ray is missing): "
                                 f"{INSTALL_HINT}") from exc
    # Lance (the fragment writer) is looked up, not imported: it warns on every fork after its import,
    # and starting a local cluster forks.
    if importlib.util.find_spec("lance") is None:
        raise ClusterUnavailable(f"indexing on a Ray cluster needs the cluster extra (pylance is missing): "
                                 f"{INSTALL_HINT}")
    # pylance warns on every fork after its import; Ray starts its processes with fork+exec, which is safe.
    warnings.filterwarnings("ignore", message="lance is not fork-safe", category=UserWarning)
    return ray


__all__ = ["INSTALL_HINT", "ClusterUnavailable", "require_ray"]
