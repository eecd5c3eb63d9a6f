"""``lexiscope search QUERY``: search the index; also the interactive prompt."""

from __future__ import annotations

import json
import sys

from app.config import Settings
from app.ingest.kinds import KINDS
from app.search.modes import MODES


def _positive(text: str) -> int:
    """argparse type: a whole number of at least 1."""
    import argparse

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def add_search_args(p) -> None:
    """Arguments shared by ``search`` and ``export``."""
    p.add_argument("query", metavar="QUERY")
    p.add_argument("--k", type=_positive, default=10, help="how many documents (default 10)")
    p.add_argument("--kind", action="append", choices=KINDS, help="only this kind (repeatable)")
    p.add_argument("--folder", help="only documents under this folder")
    p.add_argument("--after", metavar="DATE", help="on or after this date (YYYY, YYYY-MM or YYYY-MM-DD)")
    p.add_argument("--before", metavar="DATE", help="on or before this date")
    p.add_argument("--mode", default="auto", choices=MODES,
                   help="which retrieval to use (auto: everything the index supports)")
    p.add_argument("--mask-entities", action="store_true", help="mask names of people, places and organisations (find parallels)")
    p.add_argument("--explain", action="store_true", help="say why each result matched")
    p.add_argument("--newspaper", help="only this newspaper (exact name, see `lexiscope facets`)")
    p.add_argument("--place", help="only newspapers from this place (city or state, part of the name)")
    p.add_argument("--entity", metavar="TYPE:NAME", help="only articles naming this entity, e.g. 'PER:Woodrow Wilson'")


def register(sub) -> None:
    """Add the ``search`` subcommand."""
    p = sub.add_parser("search", help="search the index")
    add_search_args(p)
    p.add_argument("--json", action="store_true", help="print the documented JSON object (docs/json.md)")
    p.add_argument("--save", metavar="NAME", help="also save this search under NAME (see `lexiscope saved`)")
    p.set_defaults(func=run)


def do_search(args):
    """Run the search the arguments describe; returns the SearchResponse."""
    import os

    from app.errors import UserError
    from app.search.types import Filters, normalise_date
    from app.session import make_searcher, open_store

    from app.search.query import has_words

    if not has_words(args.query):
        # A usage error, not a search that found nothing ("No results." told the user nothing).
        raise UserError(f'type some words to search for, e.g. lexiscope {getattr(args, "command", None) or "search"} "strike at the docks"')
    try:
        normalise_date(args.after), normalise_date(args.before)
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    folder = os.path.abspath(args.folder) if args.folder else None
    facets = {k: getattr(args, k, None) for k in ("newspaper", "place", "entity")}
    filters = Filters(kinds=tuple(args.kind or ()), folder=folder, after=args.after, before=args.before,
                      extra={k: v for k, v in facets.items() if v})
    # One search, then the process ends: the index is read through pylance (lancedb is not imported unless
    # something needs it). A words-only search loads no model either.
    lexical_only = args.mode == "lexical" and not args.explain and not args.mask_entities
    store = open_store(lazy=True, vectors=not lexical_only)
    searcher = make_searcher(store, Settings.load(), models=not lexical_only)
    response = searcher.search(args.query, k=args.k, filters=filters, mode=args.mode,
                               mask_entities=args.mask_entities, explain=args.explain)
    if not response.results and store.passage_count() == 0:
        # An empty index answers every query with nothing; say why, not only "No results.".
        response.notes.append("nothing is indexed here yet: add a folder with `lexiscope index FOLDER` "
                              "(or `lexiscope` to open the window)")
    return response


def run(args) -> int:
    """Print results as text or JSON."""
    response = do_search(args)
    from app.searches import SavedSearch, SearchBook

    book = SearchBook()
    search = SavedSearch.of(args.query, response.filters, args.mask_entities)
    try:
        book.remember(search)
        if args.save:
            book.save_as(args.save, search)
    except OSError as exc:
        if args.save:  # asked for: say why it could not be kept
            from app.errors import UserError

            raise UserError(f"cannot save the search: {exc.strerror or exc}") from exc
        # History only: a read-only data folder must not stop a search.
    if args.json:
        print(json.dumps(response.to_json(), ensure_ascii=False, indent=2))
        return 0
    print_results(response)
    if args.save:
        print(f"Saved as {args.save!r} (lexiscope saved --run {args.save!r}).")
    return 0


def _mark(snippet: str, spans, tty: bool) -> str:
    from app.search.snippets import mark_spans

    on, off = ("\033[1;33m", "\033[0m") if tty else ("«", "»")
    return mark_spans(snippet, spans, on, off)


def print_results(response) -> None:
    """Human-readable results: rank, score, title, path, snippet with matched terms marked."""
    tty = sys.stdout.isatty()
    if response.masked_query:
        print(f"searched (entities masked): {response.masked_query}")
    for note in response.notes:
        print(f"note: {note}")
    if not response.results:
        print("No results.")
    for r in response.results:
        date = f"  {r.date}" if r.date else ""
        print(f"{r.rank:>2}. [{r.kind}] {r.title}{date}  (score {r.score:.3f})")
        print(f"    {r.path}")
        if r.meta.get("printings"):  # a wire story: its other printings (app.news.reprints)
            first = r.meta["printings"][0]
            print(f"    {len(r.meta['printings'])} printings, first {first['date']} in {first['newspaper']}")
        if r.snippet:
            print(f"    {_mark(r.snippet, r.highlights, tty)}")
        if r.explanation is not None and r.explanation.terms:
            print("    why: " + ", ".join(f"{t.term} {t.contribution or 0.0:.2f}" for t in r.explanation.terms[:6]))


def interactive(demo: bool = False) -> int:
    """A simple prompt: index the sample collection (with --demo) and search until an empty line."""
    import argparse

    from app.index_run import index_paths
    from app.resources import sample_collection

    settings = Settings.load()
    if demo:
        report = index_paths([sample_collection()], settings)
        print(f"Sample collection: {report.indexed} new, {report.unchanged} unchanged.")
    print("Type a query and press Enter (empty line to quit).")
    while True:
        try:
            query = input("search> ").strip()
        except EOFError:
            break
        if not query:
            break
        ns = argparse.Namespace(query=query, k=10, kind=None, folder=None, after=None, before=None,
                                mode="auto", mask_entities=False, explain=False)
        print_results(do_search(ns))
    return 0
