"""The damaged-index banner: at start-up, the cheap structural check of app.check; a fault is shown in the
window's banner with a Repair button that runs ``lexiscope check --repair`` (with its progress bar)."""

from __future__ import annotations

from pathlib import Path


def damaged_index_status(root: Path) -> list[dict]:
    """The banner's status list for a damaged index under ``root`` ([] when whole). Cheap: a few bytes a file."""
    from app.check import quick_faults

    faults = [f for f in quick_faults(root) if f.repairable]
    if not faults:
        return []
    return [{"role": "index", "id": "", "state": "damaged", "fix": "lexiscope check --repair",
             "message": f"The index is damaged: {faults[0].message}. Repair goes back to its last good version "
                        "and re-indexes what is missing."}]


def show_if_damaged(window, root: Path) -> bool:
    """Put a damaged index in ``window``'s banner (shown at once); True when it was damaged."""
    status = damaged_index_status(root)
    if not status:
        return False
    banner = window.banner
    model_update = banner.set_status

    def set_status(models: list[dict]) -> None:
        # The model-status refresh shares the banner: the damaged index stays first until repaired.
        model_update(status + [m for m in models if m.get("role") != "index"])
        banner.text.setText("The index is damaged: search may fail until it is repaired.")
        banner.action.setText("Repair")

    banner.set_status = set_status
    banner.set_status([])
    banner.arm()
    return True
