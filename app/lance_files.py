"""Read a Lance table's version files (manifests) without pylance: which data files a version uses.

``lexiscope check`` needs the file names behind a table version (to check each file's footer cheaply and to
name a damaged file in words). LanceDB's Python API does not list them, and pylance, which does, is 0.2 GB
of install for this one question; the manifest is a small protobuf message that is easy to walk.

It also keeps lancedb (a 2–3 s import) out of the window's start-up: the start-up health check
(:func:`app.check.quick_faults`) reads everything it needs here.

Layout of ``_versions/N.manifest`` (Lance format 2, as written by lancedb 0.40 / lance 13–14): the file ends
with a 16-byte footer ``<u64 offset><u16 major><u16 minor>LANC``; at ``offset`` sits ``<u32 length>`` and the
``Manifest`` protobuf. Fields read here (lance ``table.proto``): Manifest.fragments = 2 (DataFragment:
id = 1, files = 2, DataFile.path = 1, relative to ``data/``), Manifest.version = 3, Manifest.schema_metadata
= 5 (map entries: key = 1, value = 2), Manifest.index_section = 6 (file offset of ``<u32 length>`` +
IndexSection: indices = 1, IndexMetadata: uuid = 1 (UUID.uuid = 1, 16 bytes), name = 3, index_details = 6
(Any.type_url = 1)). Anything that does not parse raises :class:`ManifestError`.
"""

from __future__ import annotations

import struct
import uuid
from dataclasses import dataclass, field
from pathlib import Path

MAGIC = b"LANC"  # every Lance manifest, data and index file ends with it
_FOOTER = 16


class ManifestError(Exception):
    """A version file that is not a readable Lance manifest (truncated, garbage, another format)."""


@dataclass(frozen=True)
class Fragment:
    """One fragment of a table version: its id and its data files (paths relative to ``data/``)."""

    id: int
    files: tuple[str, ...]


def version_of(path: Path) -> int:
    """The table version a manifest file name stands for (V2 naming stores u64::MAX - version, so the
    newest sorts first; V1 stores the version itself)."""
    n = int(Path(path).stem)
    return 2**64 - 1 - n if n > 2**63 else n


def manifest_files(uri: Path) -> dict[int, Path]:
    """Version number → manifest file of the table folder ``uri`` (file names only: a garbage manifest
    does not hide the others)."""
    out = {}
    for path in (Path(uri) / "_versions").glob("*.manifest"):
        try:
            out[version_of(path)] = path
        except ValueError:
            continue
    return out


@dataclass(frozen=True)
class Index:
    """One index of a table version: its name, its folder under ``_indices/`` and its kind (type_url)."""

    name: str
    uuid: str
    type_url: str

    @property
    def full_text(self) -> bool:
        """True for a full-text (inverted) index."""
        return "inverted" in self.type_url.lower()


@dataclass(frozen=True)
class Manifest:
    """What one version file says: version number, fragments, schema metadata, indices."""

    version: int
    fragments: list[Fragment]
    metadata: dict[bytes, bytes] = field(default_factory=dict)
    indices: list[Index] = field(default_factory=list)


def _message_at(data: bytes, offset: int, name: str) -> bytes:
    """The ``<u32 length>`` + protobuf message that starts at ``offset`` of a manifest file."""
    if offset + 4 > len(data) - _FOOTER:
        raise ManifestError(f"{name}: section offset {offset} is past the end")
    (length,) = struct.unpack_from("<I", data, offset)
    body = data[offset + 4: offset + 4 + length]
    if len(body) != length:
        raise ManifestError(f"{name}: manifest is truncated")
    return body


def read_manifest(path: Path) -> Manifest:
    """Parse the version file ``path`` (see the module docstring for the fields read)."""
    data = Path(path).read_bytes()
    name = Path(path).name
    if len(data) < _FOOTER + 4 or data[-4:] != MAGIC:
        raise ManifestError(f"{name} is not a Lance manifest (no footer)")
    (offset,) = struct.unpack_from("<Q", data, len(data) - _FOOTER)
    body = _message_at(data, offset, name)
    version, frags, metadata, section = 0, [], {}, None
    for num, value in _fields(body):
        if num == 2 and isinstance(value, bytes):
            frag_id, files = 0, []
            for f, v in _fields(value):
                if f == 1 and isinstance(v, int):
                    frag_id = v
                elif f == 2 and isinstance(v, bytes):
                    files += [p.decode("utf-8") for k, p in _fields(v) if k == 1 and isinstance(p, bytes)]
            frags.append(Fragment(frag_id, tuple(files)))
        elif num == 3 and isinstance(value, int):
            version = value
        elif num == 5 and isinstance(value, bytes):
            entry = {k: v for k, v in _fields(value) if isinstance(v, bytes)}
            metadata[entry.get(1, b"")] = entry.get(2, b"")
        elif num == 6 and isinstance(value, int):
            section = value
    indices = []
    if section is not None:
        for num, value in _fields(_message_at(data, section, name)):
            if num != 1 or not isinstance(value, bytes):
                continue
            ix = dict(_fields(value))
            raw = dict(_fields(ix.get(1, b""))).get(1, b"") if isinstance(ix.get(1), bytes) else b""
            details = dict(_fields(ix[6])) if isinstance(ix.get(6), bytes) else {}
            if len(raw) != 16:
                raise ManifestError(f"{name}: an index without a 16-byte uuid")
            indices.append(Index(ix.get(3, b"").decode("utf-8", "replace") if isinstance(ix.get(3), bytes) else "",
                                 str(uuid.UUID(bytes=raw)),
                                 details.get(1, b"").decode("utf-8", "replace") if details else ""))
    return Manifest(version, frags, metadata, indices)


def fragments(path: Path) -> list[Fragment]:
    """The fragments (with data files) of the table version whose manifest is ``path``."""
    return read_manifest(path).fragments


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if i >= len(buf) or shift > 63:
            raise ManifestError("bad varint in manifest")
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, i
        shift += 7


def _fields(buf: bytes):
    """(field number, value) pairs of a protobuf message: ints for varint/fixed fields, bytes for
    length-delimited ones (sub-messages, strings, packed lists)."""
    i = 0
    value: int | bytes
    while i < len(buf):
        key, i = _varint(buf, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(buf, i)
        elif wire == 1:
            if i + 8 > len(buf):
                raise ManifestError("truncated field in manifest")
            (value,), i = struct.unpack_from("<Q", buf, i), i + 8
        elif wire == 2:
            n, i = _varint(buf, i)
            if i + n > len(buf):
                raise ManifestError("truncated field in manifest")
            value, i = buf[i:i + n], i + n
        elif wire == 5:
            if i + 4 > len(buf):
                raise ManifestError("truncated field in manifest")
            (value,), i = struct.unpack_from("<I", buf, i), i + 4
        else:
            raise ManifestError(f"unknown protobuf wire type {wire} in manifest")
        yield field, value


def whole(path: Path) -> bool:
    """True when a Lance file ends with the format's magic (a truncated or overwritten file does not)."""
    try:
        with open(path, "rb") as fh:
            fh.seek(-len(MAGIC), 2)
            return fh.read(len(MAGIC)) == MAGIC
    except OSError:
        return False
