"""The ``lexiscope`` command line: ``lexiscope`` alone opens the window; subcommands run headless."""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from app import __version__
from app.config import private_writes
from app.errors import IndexDamaged, IndexTooNew, UserError

# Each module in app.commands exposes ``register(subparsers)`` and sets ``func`` on its parser.
# Listed here (not discovered) so start-up imports nothing it does not need.
COMMAND_MODULES = ("index", "search", "export", "status", "forget", "check", "models", "eval", "facets",
                   "parallels", "saved")
# Commands that read the index: an unexpected error there is first checked against the index on disk.
INDEX_COMMANDS = {"index", "search", "export", "status", "forget", "facets", "parallels"}


def build_parser(commands: tuple[str, ...] = COMMAND_MODULES) -> argparse.ArgumentParser:
    """The argument parser, with every subcommand registered (or only ``commands``)."""
    parser = argparse.ArgumentParser(prog="lexiscope", description="Search your folders by meaning.")
    parser.add_argument("--version", action="version", version=f"lexiscope {__version__}")
    parser.add_argument("--demo", action="store_true", help="open the window on the bundled sample collection")
    parser.add_argument("--screenshot", metavar="PATH", help="render the window to a PNG and exit")
    parser.add_argument("--query", metavar="Q", help="with --screenshot: run this query first")
    parser.add_argument("--index", metavar="URI", dest="window_index",
                        help="open the window on this index (a folder or a LanceDB URI), read-only")
    parser.set_defaults(folders=[])
    parser.epilog = ("lexiscope FOLDER... opens the window and indexes those folders (what the menu entry and a "
                     "drop on the launcher do).")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in commands:
        try:
            module = importlib.import_module(f"app.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"app.commands.{name}":
                raise
            continue  # command not built yet
        module.register(sub)
    for name, command in sub.choices.items():
        if name not in ("models", "eval"):  # those work on the model cache and their own stores
            command.add_argument("--index", metavar="URI", dest="index_location",
                                 help="the index to use: a folder or a LanceDB URI such as s3://bucket/archive "
                                      "(default: the data folder; searching opens it read-only)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point for ``lexiscope``."""
    if getattr(sys, "frozen", False):
        import multiprocessing

        # The window indexes and searches in child processes; a frozen (PyInstaller) build must not
        # re-run the app in each of them (freeze_support does nothing in a build that is not frozen).
        multiprocessing.freeze_support()
    os.environ.setdefault("LANCEDB_LOG", "error")
    os.environ.setdefault("LANCE_LOG", "error")
    private_writes()
    argv = list(sys.argv[1:] if argv is None else argv)
    # `lexiscope search …` needs the search command's parser alone: importing the other commands' modules
    # (the model resolver, the exporters…) is a tenth of a cold search. Anything else gets them all.
    first = next((word for word in argv if not word.startswith("-")), None)
    parser = build_parser((first,) if first in COMMAND_MODULES else COMMAND_MODULES)
    options, folders = split_folders(parser, argv)
    args = parser.parse_args(options)
    args.folders = folders
    location = getattr(args, "index_location", None) or args.window_index
    if location:
        from app.location import ENV

        # Through the environment, so the window's and the indexer's child processes open it too.
        os.environ[ENV] = location
    if args.command is None:
        return gui_main(args)
    try:
        return int(args.func(args) or 0)
    except IndexTooNew as exc:
        print(f"lexiscope: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nInterrupted. The index is left consistent; run the same command again to finish.", file=sys.stderr)
        return 130
    except IndexDamaged as exc:
        print(f"lexiscope: {exc}", file=sys.stderr)
        return 3
    except UserError as exc:
        print(f"lexiscope: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # Output piped into `head` and closed early: not an error worth a traceback.
        sys.stderr.close()
        return 0
    except Exception as exc:
        message = explain_failure(exc, args.command)
        if message is None:
            raise  # a bug of ours: the traceback is what a report needs
        print(f"lexiscope: {message}", file=sys.stderr)
        return 3


def explain_failure(exc: Exception, command: str | None) -> str | None:
    """Words for an error that is the disk's or the index's fault (not a bug); None for anything else.

    A damaged index surfaces as whatever LanceDB raised where it first read a bad file; rather than
    match those messages, the index is checked (app.check) and its fault is what the user is told.
    """
    import errno

    from app.config import data_root

    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC or "No space left on device" in str(exc):
        return (f"the disk is full ({getattr(exc, 'filename', None) or data_root()}). Free some space and run the same command "
                "again: the index keeps its last complete version.")
    if command not in INDEX_COMMANDS:
        return None
    from app.check import REPAIR_HINT, diagnose

    fault = diagnose(data_root())
    if fault is None:
        return None
    return f"the index in {data_root()} is damaged: {fault.message}.\n{REPAIR_HINT}"  # exit 3, as IndexDamaged


# Options of the top-level parser that take a value: the word after them is not a folder.
_VALUE_OPTIONS = ("--screenshot", "--query", "--index")


def split_folders(parser: argparse.ArgumentParser, argv: list[str]) -> tuple[list[str], list[str]]:
    """(arguments for the parser, folders to open): ``lexiscope [OPTIONS] PATH...`` opens the window on
    PATHs, as the desktop entry's ``Exec=lexiscope %F`` does; a subcommand keeps its own arguments.

    argparse cannot mix an optional positional list with subcommands (a folder would be read as an
    unknown command), so the words before the first subcommand that are not options are taken out here.
    A word that names a command is a command even when a folder of that name exists; pass ``./index``.
    """
    commands = set()
    for action in parser._subparsers._group_actions if parser._subparsers else ():  # noqa: SLF001
        commands |= set(getattr(action, "choices", None) or ())
    options: list[str] = []
    folders: list[str] = []
    i = 0
    while i < len(argv):
        word = argv[i]
        if word == "--":
            folders += argv[i + 1:]
            break
        if word in commands:
            return options + argv[i:], []
        if word.startswith("-"):
            options.append(word)
            if word in _VALUE_OPTIONS and i + 1 < len(argv):
                options.append(argv[i + 1])
                i += 1
        else:
            folders.append(word)
        i += 1
    return options, folders


def gui_main(args: argparse.Namespace | None = None) -> int:
    """Open the desktop window (imports Qt only here)."""
    if args is None:  # started as lexiscope-gui, not through main()
        private_writes()
        args = build_parser().parse_args([])
    try:
        from app.ui.main import run_gui
    except ModuleNotFoundError as exc:  # Qt not installed: the terminal search instead
        if not (exc.name or "").startswith("PySide6"):
            raise
        from app.commands.search import interactive

        if args.folders:
            main(["index", *args.folders])
        print("The desktop window is not available in this build; opening the interactive search.")
        return interactive(demo=args.demo)
    missing = [f for f in args.folders if not os.path.exists(f)]
    if missing:
        print(f"lexiscope: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    return run_gui(demo=args.demo, screenshot=args.screenshot, query=args.query, folders=args.folders)


if __name__ == "__main__":
    sys.exit(main())
