"""The searcher lives in a child process; the window's pool threads talk to it through queues.

Why: building the searcher imports torch and loads models, and on a pool thread of the window's process
those imports held the GIL long enough to freeze the window for up to 0.5 s (bench/gui_responsiveness.py).
In a child the window's GIL is never taken; the waiting thread sleeps on a queue. The child is started
once, warmed up (models loaded) right after the window shows, and kept for every search. No Qt here.
"""

from __future__ import annotations

import multiprocessing as mp
import multiprocessing.queues as mpq
import queue
import threading
import traceback
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from typing import Any

_CTX = mp.get_context("spawn")  # never fork a process that runs Qt threads
POLL_S = 0.1
# Lower than the window so the GUI thread keeps its CPU, higher than the indexer (10) so a search made
# while indexing still answers quickly.
NICE = 5


class SearchProcessError(RuntimeError):
    """The search failed in the child (the message is its error) or the child died."""


class Stopped(Exception):
    """The caller asked to stop while waiting (the window is closing)."""


def _serve(settings, use_models: bool, inbox, outbox) -> None:
    """The child's loop: open the store and build the searcher when needed, answer until told to quit.

    Requests: ("warm",), ("search", SearchRequest), ("dense_spans", SearchRequest, Result) → the spans
    list, ("summary", [folder]) → app.sources.source_summary, ("facets",) → app.news.facets.Facets,
    ("document", Result) → (the document's text, where the hit's passage starts), ("models", Settings) →
    app.embed.model_status as a list, ("reset", settings),
    ("quit",). Answers: ("status", text)*, then ("ok"|"ready", value) or ("error", message, traceback).
    The store-only requests (summary, facets, document) and models need no loaded models: they answer
    before the first search has loaded them, and they keep LanceDB, the model layer and their imports out of
    the window's process.
    """
    from app.ui.index_process import _lower_priority
    from app.search_service import dense_spans, open_store_retrying, refresh, run_search

    _lower_priority(NICE)
    store = None
    searcher = None
    prewarmed = None  # the store whose indexes were prewarmed (app.session.prewarm_in_background)

    def open_store():
        nonlocal store
        if store is None:
            store = open_store_retrying()
        else:
            refresh(store)
        return store

    def build(store):
        outbox.put(("status", "Loading the index and search models…"))
        from app.search.engine import Searcher
        from app.session import make_searcher

        if use_models:
            return make_searcher(store, settings)
        from app.explain import explain_results

        return Searcher(store, explainer=explain_results)  # BM25 term contributions: exact and cheap

    while True:
        message = inbox.get()
        kind = message[0]
        if kind == "quit":
            return
        if kind == "reset":  # after indexing: reopen the store (models stay cached in this process)
            store = searcher = None
            if len(message) > 1:
                settings = message[1]
            continue
        try:
            if kind == "summary":
                from app.sources import source_summary

                outbox.put(("ok", source_summary(open_store(), message[1])))
                continue
            if kind == "facets":
                from app.news.facets import news_facets

                outbox.put(("ok", news_facets(open_store(), top=40)))
                continue
            if kind == "models":  # the banner's model list: resolving models imports and hashes, off the window
                from app.embed import model_status

                outbox.put(("ok", list(model_status(message[1]))))
                continue
            if kind == "document":
                outbox.put(("ok", document_text_in(open_store(), message[1])))
                continue
            if searcher is None:
                searcher = build(open_store())
            else:
                refresh(searcher.store)
            if kind == "warm":
                outbox.put(("ready", None))
            elif kind == "dense_spans":
                outbox.put(("ok", dense_spans(searcher, message[1], message[2])))
            else:
                outbox.put(("ok", run_search(searcher, message[1])))
            if prewarmed is not searcher.store:
                # This process keeps searching: the indexes go into memory once it has answered (after the
                # window's warm-up, or a first search that came before it), not beside the first search.
                from app.session import prewarm_in_background

                prewarm_in_background(searcher.store)
                prewarmed = searcher.store
        except BaseException as exc:  # noqa: BLE001 - reported to the window, the child keeps serving
            if kind in ("warm", "search"):  # one passage failing to align, or a count, says nothing of the searcher
                store = searcher = None
            outbox.put(("error", f"{type(exc).__name__}: {exc}", traceback.format_exc()))


def document_text_in(store, result) -> tuple[str, int]:
    """The document's text put back together from its passages, and where the hit's passage starts in it.

    ``store`` None opens one. Falls back to the passage alone when the index cannot be read (a concurrent
    re-index): a quick look never fails. (Here, without Qt, so the search process can answer it.)
    """
    try:
        from app.search_service import open_store_retrying

        store = store if store is not None else open_store_retrying()
        rows = store.passages_of([result.doc_id], ["start", "text"])
    except Exception:  # noqa: BLE001 - a quick look never fails: the passage is still there
        rows = []
    if not rows:
        return result.passage_text or result.snippet or "", 0
    text = ""
    for row in sorted(rows, key=lambda r: r["start"]):
        start, part = int(row["start"]), row["text"] or ""
        if start >= len(text):
            text += " " * (start - len(text)) + part
        else:  # overlapping passages: add only what is new
            text += part[len(text) - start:]
    return text, int(result.passage_start or 0)


class SearchServer:
    """Owns the child process; :meth:`search` and :meth:`warm` block the calling (pool) thread only."""

    def __init__(self, settings, use_models: bool = True):
        self.settings = settings
        self.use_models = use_models
        self._lock = threading.Lock()  # one request at a time: answers come back in order
        self._proc: BaseProcess | None = None
        self._inbox: mpq.Queue[Any] | None = None
        self._outbox: mpq.Queue[Any] | None = None

    def _ensure(self) -> tuple[BaseProcess, mpq.Queue[Any], mpq.Queue[Any]]:
        """The running child and its two queues, started when there is none (or it died)."""
        proc, inbox, outbox = self._proc, self._inbox, self._outbox
        if proc is not None and proc.is_alive() and inbox is not None and outbox is not None:
            return proc, inbox, outbox
        self._inbox, self._outbox = inbox, outbox = _CTX.Queue(), _CTX.Queue()
        proc = _CTX.Process(target=_serve, args=(self.settings, self.use_models, inbox, outbox),
                            name="lexiscope-searcher", daemon=True)
        proc.start()
        # Published only once started: close() on the GUI thread may run at any moment, and joining a
        # process that was never started raises.
        self._proc = proc
        return proc, inbox, outbox

    def _ask(self, message: tuple, on_status: Callable[[str], None] | None,
             should_stop: Callable[[], bool]) -> Any:
        """Send ``message`` and wait for its answer (its type depends on the request: Any)."""
        with self._lock:
            # Local names: close() (on quit, from the GUI thread) may clear the attributes meanwhile.
            proc, inbox, outbox = self._ensure()
            inbox.put(message)
            while True:
                if should_stop():
                    # Its answer would arrive for the next request: end the child; the next call restarts it.
                    self.close(timeout=0.5)
                    raise Stopped()
                try:
                    answer = outbox.get(timeout=POLL_S)
                except (queue.Empty, OSError, ValueError):
                    if not proc.is_alive():
                        raise SearchProcessError(f"the search process stopped (exit code {proc.exitcode})") from None
                    continue
                if answer[0] == "status":
                    if on_status:
                        on_status(answer[1])
                elif answer[0] == "error":
                    raise SearchProcessError(answer[1])
                else:
                    return answer[1]

    def warm(self, on_status=None, should_stop=lambda: False) -> None:
        """Start the child and load the searcher and its models."""
        self._ask(("warm",), on_status, should_stop)

    def search(self, request, on_status=None, should_stop=lambda: False):
        """Run one SearchRequest in the child; returns its SearchResponse."""
        return self._ask(("search", request), on_status, should_stop)

    def dense_spans(self, request, result, should_stop=lambda: False) -> list[dict]:
        """The dense (MaxSim) alignment spans of ``result``, which the search ``request`` returned."""
        return self._ask(("dense_spans", request, result), None, should_stop)

    def summary(self, sources: list[str], should_stop=lambda: False) -> dict:
        """Per-folder counts and every skipped or failed file (app.sources.source_summary), from the child."""
        return self._ask(("summary", list(sources)), None, should_stop)

    def facets(self, should_stop=lambda: False):
        """Newspaper, place, entity and date counts of the index (app.news.facets.Facets), from the child."""
        return self._ask(("facets",), None, should_stop)

    def models(self, settings, should_stop=lambda: False) -> list[dict]:
        """app.embed.model_status(settings) as a list (the banner's and Settings' model states), from the child."""
        return self._ask(("models", settings), None, should_stop)

    def document(self, result, should_stop=lambda: False) -> tuple[str, int]:
        """``result``'s whole document text and where its passage starts (app.ui.preview), from the child."""
        return self._ask(("document", result), None, should_stop)

    def reset(self, settings=None) -> None:
        """Make the child reopen the index (and take new settings) before its next search."""
        if settings is not None:
            self.settings = settings
        if self._proc is not None and self._proc.is_alive() and self._inbox is not None:
            self._inbox.put(("reset", self.settings))

    def close(self, timeout: float = 3.0) -> None:
        """Stop the child (it is only reading: terminating it is safe)."""
        proc, self._proc = self._proc, None
        inbox, outbox = self._inbox, self._outbox
        if proc is None or proc.pid is None or inbox is None or outbox is None:  # never started: nothing to stop
            return
        try:
            inbox.put(("quit",))
        except (OSError, ValueError):
            pass
        proc.join(timeout)
        if proc.is_alive():
            proc.terminate()
            proc.join(3.0)
        if proc.is_alive():  # a child still starting up on a loaded machine may outlive SIGTERM's wait
            proc.kill()
            proc.join()
        for q in (inbox, outbox):
            q.cancel_join_thread()  # unread answers of a dead child must not block the close
            q.close()
