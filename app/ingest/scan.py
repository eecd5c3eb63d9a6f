"""Finding the files to index: a deterministic walk that skips what a user would not want indexed."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pathspec

log = logging.getLogger(__name__)

IGNORE_FILE = ".lexiscopeignore"
# Folders that hold system or tool data, never a user's documents (hidden "." names are skipped anyway).
JUNK_DIRS = frozenset(
    {
        "__pycache__",
        "node_modules",
        "$RECYCLE.BIN",
        "$Recycle.Bin",
        "System Volume Information",
        "lost+found",
        "__MACOSX",
    }
)
# Files that look like documents by extension but are OS or Office bookkeeping.
JUNK_FILES = frozenset({"Thumbs.db", "desktop.ini", "ehthumbs.db"})
_COUNT_EVERY = 200


@dataclass(frozen=True)
class _Rules:
    """The patterns of one ``.lexiscopeignore``; they match paths relative to ``base``."""

    base: str
    spec: pathspec.GitIgnoreSpec


def scan(roots: Iterable[Path]) -> Iterator[Path]:
    """Yield every regular file under ``roots`` (a root may be a file), depth-first, sorted by name."""
    seen: set[str] = set()  # real paths of folders walked and files yielded: no loops, no duplicates
    for root in roots:
        root = Path(root)
        try:
            is_dir, is_file = root.is_dir(), root.is_file()
        except OSError as exc:
            log.warning("cannot read %s: %s", root, exc)
            continue
        if is_file:
            real = os.path.realpath(root)
            if real not in seen:
                seen.add(real)
                yield root
        elif is_dir:
            yield from _walk(root, seen)
        else:
            # A missing root (an unplugged drive) must not stop the other roots from being indexed.
            log.warning("skipping %s: not a file or folder", root)


def count_files(roots: Iterable[Path], on_change: Callable[[int], None] | None = None) -> int:
    """Count what ``scan`` would yield, calling ``on_change(n)`` every few hundred files and at the end."""
    count = 0
    for count, _ in enumerate(scan(roots), start=1):
        if on_change is not None and count % _COUNT_EVERY == 0:
            on_change(count)
    if on_change is not None:
        on_change(count)
    return count


def is_skipped_name(name: str) -> bool:
    """True for hidden names and known system/junk folders and files."""
    return (
        name.startswith(".")
        or name.startswith("~$")  # Office lock files, deleted when the document closes
        or name in JUNK_DIRS
        or name in JUNK_FILES
    )


def _walk(root: Path, seen: set[str]) -> Iterator[Path]:
    """Depth-first walk of one root folder, entries in name order, files and folders interleaved."""
    # An explicit stack (trees can be deeper than the recursion limit). Each entry: a path, whether
    # it is a folder, and the ignore rules in force in the folder that holds it.
    stack: list[tuple[Path, bool, tuple[_Rules, ...]]] = [(root, True, ())]
    while stack:
        path, is_dir, rules = stack.pop()
        real = os.path.realpath(path)
        if real in seen:
            # A symlink loop, or a file or folder already reached through another link or root.
            continue
        seen.add(real)
        if not is_dir:
            yield path
            continue
        try:
            with os.scandir(path) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:  # PermissionError, or a folder removed while we walk
            log.warning("cannot list %s: %s", path, exc)
            continue
        local = _load_rules(path)
        if local is not None:
            rules = (*rules, local)
        children: list[tuple[Path, bool, tuple[_Rules, ...]]] = []
        for entry in entries:
            if is_skipped_name(entry.name) or _is_hidden_on_windows(entry):
                continue
            try:
                child_is_dir = entry.is_dir()  # follows symlinks: a linked folder is walked (once)
                child_is_file = not child_is_dir and entry.is_file()  # FIFOs, sockets, devices: neither
            except OSError:
                continue
            if (child_is_dir or child_is_file) and not _ignored(entry.path, child_is_dir, rules):
                children.append((Path(entry.path), child_is_dir, rules))
        # Reversed, so the stack pops children in name order.
        stack.extend(reversed(children))


def _load_rules(folder: Path) -> _Rules | None:
    """Parse ``folder/.lexiscopeignore`` (gitignore syntax) if there is one."""
    path = folder / IGNORE_FILE
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("cannot read %s: %s", path, exc)
        return None
    return _Rules(base=str(folder), spec=pathspec.GitIgnoreSpec.from_lines(lines))


def _ignored(path: str, is_dir: bool, rules: tuple[_Rules, ...]) -> bool:
    """Whether the ignore files above ``path`` exclude it; as in git, the nearest file decides."""
    for rule in reversed(rules):
        relative = Path(os.path.relpath(path, rule.base)).as_posix()
        # A trailing slash lets folder-only patterns ("build/") match folders and only folders.
        result = rule.spec.check_file(relative + "/" if is_dir else relative)
        if result.include is not None:
            return result.include
    return False


def _is_hidden_on_windows(entry: os.DirEntry) -> bool:
    """The Windows "hidden" attribute (dot names are handled separately); always False elsewhere."""
    attributes = getattr(entry.stat(follow_symlinks=False), "st_file_attributes", 0) if os.name == "nt" else 0
    return bool(attributes & getattr(stat, "FILE_ATTRIBUTE_HIDDEN", 0))
