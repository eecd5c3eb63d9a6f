"""``lexiscope parallels FILE|-``: find historical parallels of an article among the indexed newspapers.

The article (a file, or stdin with ``-``) is searched with its people, places and organisations masked,
so what matches is the kind of event, not the names; only news is searched.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from app.search.modes import MODES

# Encoders read a few hundred words at most; a whole modern article is cut to its opening.
MAX_QUERY_CHARS = 2000


def register(sub) -> None:
    """Add the ``parallels`` subcommand."""
    p = sub.add_parser("parallels", help="find historical parallels of an article (file, or - for stdin) in the newspapers")
    p.add_argument("source", metavar="FILE|-", help="a text file with the article, or - to read it from stdin")
    p.add_argument("--k", type=int, default=10, help="how many results (default 10)")
    p.add_argument("--after", metavar="DATE", help="on or after this date")
    p.add_argument("--before", metavar="DATE", help="on or before this date")
    p.add_argument("--newspaper", help="only this newspaper")
    p.add_argument("--place", help="only papers from this place (city or state)")
    p.add_argument("--mode", default="auto", choices=MODES)
    p.add_argument("--explain", action="store_true", help="say why each result matched")
    p.add_argument("--json", action="store_true", help="print the search JSON object (docs/json.md)")
    p.set_defaults(func=run)


def read_article(source: str) -> str:
    """The article text from a file or stdin, whitespace-collapsed and cut to ``MAX_QUERY_CHARS``."""
    from app.errors import UserError

    if source == "-":
        text = sys.stdin.read()
    else:
        path = Path(source)
        if not path.is_file():
            raise UserError(f"no such file: {source}")
        text = path.read_text(encoding="utf-8", errors="replace")
    text = " ".join(text.split())
    if not text:
        raise UserError("the article is empty")
    return text[:MAX_QUERY_CHARS]


def run(args) -> int:
    """Mask the article's entities, search the news, print the ranked parallels."""
    from app.commands.search import print_results
    from app.config import Settings
    from app.errors import UserError
    from app.search.types import Filters, normalise_date
    from app.session import make_searcher, open_store

    try:
        normalise_date(args.after), normalise_date(args.before)
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    extra = {k: v for k, v in (("newspaper", args.newspaper), ("place", args.place)) if v}
    filters = Filters(kinds=("news",), after=args.after, before=args.before, extra=extra)
    store = open_store(lazy=True)  # one search, as `lexiscope search`
    searcher = make_searcher(store, Settings.load())
    response = searcher.search(read_article(args.source), k=args.k, filters=filters, mode=args.mode,
                               mask_entities=True, explain=args.explain)
    if args.json:
        print(json.dumps(response.to_json(), ensure_ascii=False, indent=2))
    else:
        print_results(response)
    return 0
