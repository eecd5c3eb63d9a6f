"""``lexiscope forget FOLDER...``: remove folders (or files) from the index; the files themselves are untouched."""

from __future__ import annotations


def register(sub) -> None:
    """Add the ``forget`` subcommand."""
    p = sub.add_parser("forget", help="remove folders from the index (the files stay where they are)")
    p.add_argument("paths", nargs="+", metavar="FOLDER", help="a folder (or file) indexed before")
    p.set_defaults(func=run)


def run(args) -> int:
    """Forget each folder and say how many documents went."""
    from app.session import open_store
    from app.sources import forget_folder

    store = open_store()
    for folder in args.paths:
        n = forget_folder(store, folder)
        print(f"Removed {n} document{'s' if n != 1 else ''} under {folder} from the index.")
    return 0
