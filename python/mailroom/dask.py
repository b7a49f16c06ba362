"""Archives bigger than one machine: a ``dask.dataframe`` of mail.

``mailroom.dask.read_mail(paths, blocksize="64MB")`` makes one partition per
byte range of each mbox file (split where a line starts with ``From ``, so an
envelope line always starts a partition) and per group of Maildir or ``.eml``
files; each partition is read and turned into columns by the native reader in
the worker that computes it. It runs on ``dask.distributed`` as on the local
scheduler::

    from dask.distributed import Client
    client = Client("scheduler.example.org:8786")      # a cluster of your own
    df = mailroom.dask.read_mail("s3-mounted/archive/*.mbox", blocksize="256MB")
    df.groupby("from_addr").size().nlargest(20).compute()

The columns are the schema of ``mailroom.to_pandas`` but ``thread_id``:
threading needs every message of a conversation together, which partitions of
an archive do not have (thread a slice with ``mailroom.to_pandas``). The
``source`` column names each row's file; ``folder`` and ``flags`` are set for
Maildir rows. Splitting at ``From `` lines suits the quoting variants (mboxo,
mboxrd, mboxcl); a compressed file or one read as mboxcl2 (unquoted ``From ``
lines in bodies) is one partition. ``pip install "mailroom[data]"``.
"""

from __future__ import annotations

import glob as _glob
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Union

from . import archive, tables

__all__ = ["DEFAULT_COLUMNS", "read_mail"]

DEFAULT_COLUMNS = tuple(c for c in tables.COLUMNS if c != "thread_id") + tables.WHERE_COLUMNS
_SCAN = 1 << 20

PathsInput = Union[str, "os.PathLike[str]", Iterable[Union[str, "os.PathLike[str]"]]]


def _dask_dataframe() -> Any:
    try:
        import dask.dataframe as dd
    except ImportError as exc:
        raise ImportError(
            'mailroom.dask needs dask: pip install "mailroom[data]" (dask[dataframe] and '
            "distributed, pandas, pyarrow)"
        ) from exc
    return dd


def _envelope_at_or_after(path: str, pos: int) -> int:
    """Where the first line starting with "From " at or after `pos` begins
    (the file's size when there is none); 0 for 0."""
    if pos <= 0:
        return 0
    with open(path, "rb") as f:
        f.seek(pos - 1)
        carry = b""
        base = pos - 1
        while True:
            block = f.read(_SCAN)
            if not block:
                return os.path.getsize(path)
            data = carry + block
            at = data.find(b"\nFrom ")
            if at >= 0:
                return base - len(carry) + at + 1
            carry = data[-5:]
            base += len(block)


def _mbox_part(path: str, index: int, blocksize: int, names: list[str]) -> Any:
    pa = tables._pyarrow()
    start = _envelope_at_or_after(path, index * blocksize)
    end = _envelope_at_or_after(path, (index + 1) * blocksize)
    builder = tables._builder(names, 1)
    if end > start:
        tables._add_mbox(builder, path, start, end)
    where: dict[str, list[Any]] = {"folder": [], "flags": [], "source": [path] * builder.rows}
    return tables._finish(pa, builder, names, where).to_pandas()


def _whole_part(path: str, names: list[str]) -> Any:
    pa = tables._pyarrow()
    builder = tables._builder(names, 1)
    tables._add_mbox(builder, path)
    where: dict[str, list[Any]] = {"folder": [], "flags": [], "source": [path] * builder.rows}
    return tables._finish(pa, builder, names, where).to_pandas()


def _files_part(files: list[tuple[str, str | None, str]], names: list[str]) -> Any:
    """Messages of (path, Maildir folder or None, info) files."""
    pa = tables._pyarrow()
    builder = tables._builder(names, 1)
    metas = [
        (p, {"folder": folder, "info": info} if folder is not None else {})
        for p, folder, info in files
    ]
    where = tables._add_messages(builder, archive._file_messages(metas, 1, "warn"))
    return tables._finish(pa, builder, names, where).to_pandas()


def _expand(paths: PathsInput) -> list[str]:
    items = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    out: list[str] = []
    for item in items:
        p = os.fspath(item)
        if _glob.has_magic(p) and not os.path.exists(p):
            found = sorted(_glob.glob(p, recursive=True))
            if not found:
                raise archive.ArchiveError(2, f"no archive matches {p}")
            out += found
        elif os.path.exists(p):
            out.append(p)
        else:
            raise archive.ArchiveError(2, f"no archive at {p}: no such file or directory")
    return out


def read_mail(
    paths: PathsInput,
    blocksize: int | str = "64MB",
    columns: Sequence[str] | None = None,
    *,
    files_per_partition: int = 2000,
    variant: str | None = None,
) -> Any:
    """A lazy ``dask.dataframe.DataFrame`` of every message under ``paths``
    (mbox files, Maildirs, directories or globs of ``.eml`` files): mbox files
    in partitions of about ``blocksize`` bytes, other files
    ``files_per_partition`` to a partition. ``columns`` as for
    ``mailroom.to_pandas`` (default: ``DEFAULT_COLUMNS``, no ``thread_id``)."""
    dd = _dask_dataframe()
    from dask.utils import parse_bytes

    size = parse_bytes(blocksize) if isinstance(blocksize, str) else int(blocksize)
    if size < 1:
        raise ValueError(f"blocksize must be positive, got {blocksize!r}")
    if files_per_partition < 1:
        raise ValueError(f"files_per_partition must be positive, got {files_per_partition!r}")
    if variant is not None and variant not in archive.MBOX_VARIANTS:
        raise ValueError(f"variant must be one of {', '.join(archive.MBOX_VARIANTS)} or None")
    names = list(DEFAULT_COLUMNS) if columns is None else tables._columns(columns)
    if "thread_id" in names:
        raise ValueError("thread_id needs every message of a thread together: not per partition")

    parts: list[tuple[Any, ...]] = []
    files: list[tuple[str, str | None, str]] = []
    for p in _expand(paths):
        if os.path.isdir(p):
            root = Path(p)
            boxes = archive._maildir_folders(root, True)
            if boxes:
                for folder, d in boxes:
                    files += [(f, folder, info) for f, info in archive._maildir_files(d)]
            else:
                files += [(f, None, "") for f in archive._eml_paths(p)]
        elif archive._looks_like_mbox(p):
            if archive._is_compressed(p) or variant == "mboxcl2":
                parts.append(("whole", p))
            else:
                count = max(1, -(-os.path.getsize(p) // size))
                parts += [("mbox", p, i, size) for i in range(count)]
        else:
            files.append((p, None, ""))
    for i in range(0, len(files), files_per_partition):
        parts.append(("files", files[i : i + files_per_partition]))
    if not parts:
        raise archive.ArchiveError(2, "no messages to read: the paths hold no archive")
    import dask

    meta = tables._finish(tables._pyarrow(), tables._builder(names, 1), names, _empty()).to_pandas()
    # Dask would turn object columns into strings, lists (to, cc, ...) included.
    with dask.config.set({"dataframe.convert-string": False}):
        return dd.from_map(_partition, parts, names=names, meta=meta, enforce_metadata=False)


def _empty() -> dict[str, list[Any]]:
    return {"folder": [], "flags": [], "source": []}


def _partition(part: tuple[Any, ...], names: list[str]) -> Any:
    kind = part[0]
    if kind == "mbox":
        return _mbox_part(part[1], part[2], part[3], names)
    if kind == "whole":
        return _whole_part(part[1], names)
    return _files_part(part[1], names)
