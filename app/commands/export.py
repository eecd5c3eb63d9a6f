"""``lexiscope export QUERY -o FILE``: save a result list with provenance."""

from __future__ import annotations

from pathlib import Path

from app.commands.search import add_search_args
from app.export import FORMATS


def register(sub) -> None:
    """Add the ``export`` subcommand."""
    p = sub.add_parser("export", help="export search results to CSV, JSONL, Markdown or HTML")
    add_search_args(p)
    p.add_argument("--format", choices=FORMATS, help="default: from the file extension")
    p.add_argument("-o", "--output", required=True, metavar="FILE")
    p.set_defaults(func=run, k=100)


def run(args) -> int:
    """Search, then write the export."""
    from app import export
    from app.commands.search import do_search

    # Every export row carries its top explanation terms.
    args.explain = "terms"
    from app.errors import UserError

    target = Path(args.output)
    if not target.parent.is_dir():
        raise UserError(f"cannot write {target}: the folder {target.parent} does not exist")
    response = do_search(args)
    fmt = export.format_for(target, args.format)
    try:
        path = export.write(response, fmt, target)
    except OSError as exc:
        raise UserError(f"cannot write {target}: {exc.strerror or exc}") from exc
    print(f"Wrote {len(response.results)} results to {path} ({fmt}).")
    return 0
