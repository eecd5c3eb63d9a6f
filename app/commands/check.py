"""``lexiscope check [--repair]``: verify the index, explain each fault, and repair it."""

from __future__ import annotations

import json
import sys


def register(sub) -> None:
    """Add the ``check`` subcommand."""
    p = sub.add_parser("check", help="verify the index (and its models); --repair restores the last good version")
    p.add_argument("--repair", action="store_true",
                   help="go back to the last version that reads completely, then re-index what is missing")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run)


def run(args) -> int:
    """Check (and with ``--repair`` repair) the index; exit 0 when healthy, 1 when faults remain."""
    from app.check import check
    from app.config import Settings, data_root
    from app.errors import UserError
    from app.repair import RepairRefused, repair

    root = data_root()
    actions: list[str] = []
    if args.repair:
        try:
            result = repair(root, Settings.load(root),
                            on_note=None if args.json else (lambda note: print(f"repair: {note}", file=sys.stderr)))
        except RepairRefused as exc:
            raise UserError(str(exc)) from exc
        assert result.after is not None  # repair() always checks the index again at its end
        report, actions = result.after, result.actions
    else:
        report = check(root)
    if args.json:
        print(json.dumps({"data_root": str(root), "ok": report.ok, "tables": report.tables, "repaired": actions,
                          "faults": [{"kind": f.kind.name.lower(), "table": f.table, "message": f.message,
                                      "repairable": f.repairable} for f in report.faults]}, indent=2))
        return 0 if report.ok else 1
    tables = ", ".join(f"{n} v{t['version']} ("
                       + (f"{t['rows']} rows" if t["rows"] is not None else "rows do not read back") + ")"
                       for n, t in report.tables.items())
    print(f"Index: {root / 'index'}" + (f" — {tables}" if tables else " (nothing indexed yet)"))
    if report.ok:
        print("No problems found." if not actions else "Repaired: no problems remain.")
        return 0
    for fault in report.faults:
        print(f"  problem: {fault.message}")
    if any(f.repairable for f in report.faults) and not args.repair:
        print("Run `lexiscope check --repair` to go back to the last good version and re-index what is missing.")
    return 1
