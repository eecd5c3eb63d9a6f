"""``lexiscope facets``: the newspapers, places, dates and most mentioned entities in the index."""

from __future__ import annotations

import json


def register(sub) -> None:
    """Add the ``facets`` subcommand."""
    p = sub.add_parser("facets", help="newspapers, places, date range and frequent entities of indexed news")
    p.add_argument("--top", type=int, default=15, help="values listed per facet (default 15)")
    p.add_argument("--json", action="store_true", help="print the facets as JSON")
    p.set_defaults(func=run)


def run(args) -> int:
    """Print the facets as text or JSON."""
    from app.news.facets import news_facets
    from app.session import open_store

    facets = news_facets(open_store(lazy=True, vectors=False), top=args.top)  # one read: through pylance (app.store)
    if args.json:
        print(json.dumps(facets.to_json(), ensure_ascii=False, indent=2))
        return 0
    if not facets.documents:
        print("No newspapers indexed yet (lexiscope index FOLDER; see docs/newspapers.md).")
        return 0
    print(f"{facets.documents} newspaper documents from {facets.n_newspapers} newspapers in {facets.n_places} places, "
          f"{facets.first_date} to {facets.last_date}")
    _section("Dates", facets.dates, args.top)
    _section("Newspapers", facets.newspapers, args.top)
    _section("Places", facets.places, args.top)
    for kind, values in facets.entities.items():
        _section(f"Entities {kind} (use --entity '{kind}:Name')", values, args.top)
    return 0


def _section(title: str, items, top: int) -> None:
    print(f"\n{title}:")
    for value, count in items[:top]:
        print(f"  {count:>5}  {value}")
