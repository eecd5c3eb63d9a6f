"""``lexiscope saved``: list, run or delete saved searches (``lexiscope search --save NAME`` makes them)."""

from __future__ import annotations

import json


def register(sub) -> None:
    """Add the ``saved`` subcommand."""
    p = sub.add_parser("saved", help="list saved searches; --run NAME runs one, --delete NAME deletes one")
    p.add_argument("--run", metavar="NAME", help="run this saved search")
    p.add_argument("--delete", metavar="NAME", help="delete this saved search")
    p.add_argument("--history", action="store_true", help="list recent searches instead")
    p.add_argument("--json", action="store_true", help="print as JSON")
    p.add_argument("--k", type=int, default=10, help="with --run: how many documents (default 10)")
    p.set_defaults(func=run)


def run(args) -> int:
    """List, run or delete."""
    from app.errors import UserError
    from app.searches import SearchBook

    book = SearchBook()
    if args.delete:
        if not book.forget(args.delete):
            raise UserError(f"no saved search named {args.delete!r} (see `lexiscope saved`)")
        print(f"Deleted the saved search {args.delete!r}.")
        return 0
    if args.run:
        search = book.saved.get(args.run)
        if search is None:
            raise UserError(f"no saved search named {args.run!r} (see `lexiscope saved`)")
        from app.commands.search import print_results
        from app.config import Settings
        from app.session import make_searcher, open_store

        response = make_searcher(open_store(lazy=True), Settings.load()).search(
            search.query, k=args.k, filters=search.to_filters(), mask_entities=search.mask_entities)
        if args.json:
            print(json.dumps(response.to_json(), ensure_ascii=False, indent=2))
        else:
            print_results(response)
        return 0
    items = [(h.at, h) for h in book.history] if args.history else list(book.saved.items())
    if args.json:
        from dataclasses import asdict

        print(json.dumps([{"name": n, **asdict(s)} for n, s in items], ensure_ascii=False, indent=2))
        return 0
    if not items:
        print("No recent searches." if args.history else
              "No saved searches yet (lexiscope search \"words\" --save NAME, or Search → Save this search).")
    for name, s in items:
        extra = f"  [{_filters_text(s.filters)}]" if s.filters else ""
        masked = "  (names masked)" if s.mask_entities else ""
        print(f"{name}: {s.query}{extra}{masked}")
    return 0


def _filters_text(filters: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in filters.items())
