"""Messages as tables: Arrow, pandas and Parquet (``pip install "mailroom[data]"``).

One schema, whatever the source (one row per message):

============  =================================================================
message_id    the Message-ID field, as written (``<id@host>``)
date          the Date field as a UTC timestamp (null when absent or unreadable)
from_addr     the first author's address; ``from_name`` their display name
to, cc, bcc   lists of addresses
subject       decoded (RFC 2047)
in_reply_to   the first msg-id of In-Reply-To; ``references`` all of References
thread_id     the conversation (RFC 5256 REFERENCES threading), an int64 the
              same in every run: the first 8 bytes of SHA-256 of the thread
              root's msg-id (``<id>``, the first one of its References, present
              or not), big-endian, top bit cleared; a root without Message-ID
              by the digest of its bytes (``archive.thread_ids``)
size          bytes of the message
attachments   list of {name, content_type, size} (size decoded)
text, html    the decoded bodies a reader sees (only when asked for in ``columns``)
headers       list of {name, value} (decoded; only when asked for)
folder        Maildir++ folder, ``flags`` its flags, ``source`` the file: where known
============  =================================================================

The columns are filled natively (C++ threads, the GIL released) in Arrow's own
layout and handed to pyarrow as buffers: no Python code runs per message
beyond collecting the parsed messages (none at all for an mbox path).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Union

from . import archive
from ._core.archive import (
    MboxReader,
    MessageTable,
    MessageTableBuilder,
    StringColumn,
    StringListColumn,
)
from ._core.mime import ParsedMessage
from .message import Message
from .progress import progress_bar

if TYPE_CHECKING:
    import pandas
    import pyarrow

__all__ = ["COLUMNS", "OPTIONAL_COLUMNS", "to_arrow", "to_pandas", "write_parquet"]

COLUMNS = (
    "message_id",
    "date",
    "from_addr",
    "from_name",
    "to",
    "cc",
    "bcc",
    "subject",
    "in_reply_to",
    "references",
    "thread_id",
    "size",
    "attachments",
)
OPTIONAL_COLUMNS = ("text", "html", "headers")
WHERE_COLUMNS = ("folder", "flags", "source")
_BATCH = 2048
_MBOX_CHUNK = 4 << 20  # bigger batches than for reading: rows are filled on threads

MessagesInput = Union[Iterable[Message], str, "os.PathLike[str]"]


def _pyarrow() -> Any:
    try:
        import pyarrow
    except ImportError as exc:
        raise ImportError(
            'mailroom\'s tables need pyarrow: pip install "mailroom[data]" (pandas and pyarrow)'
        ) from exc
    return pyarrow


def _columns(columns: Sequence[str] | None) -> list[str]:
    if columns is None:
        return list(COLUMNS)
    if isinstance(columns, str):
        raise TypeError("columns is a list of column names, not one str")
    known = set(COLUMNS) | set(OPTIONAL_COLUMNS) | set(WHERE_COLUMNS)
    unknown = [c for c in columns if c not in known]
    if unknown:
        raise ValueError(
            f"unknown column(s) {', '.join(map(repr, unknown))}; the schema has "
            f"{', '.join(COLUMNS + OPTIONAL_COLUMNS + WHERE_COLUMNS)}"
        )
    return list(columns)


def _strings(pa: Any, col: StringColumn) -> Any:
    validity = col.validity
    bufs = [None if validity is None else pa.py_buffer(validity), pa.py_buffer(col.offsets)]
    bufs.append(pa.py_buffer(col.data))
    return pa.Array.from_buffers(pa.large_string(), col.length, bufs)


def _list_of(pa: Any, offsets: bytes, child: Any, rows: int) -> Any:
    return pa.LargeListArray.from_buffers(
        pa.large_list(child.type), rows, [None, pa.py_buffer(offsets)], children=[child]
    )


def _int64(pa: Any, data: bytes, rows: int) -> Any:
    return pa.Array.from_buffers(pa.int64(), rows, [None, pa.py_buffer(data)])


def _arrow_columns(pa: Any, t: MessageTable, wanted: list[str]) -> dict[str, Any]:
    rows = t.rows
    out: dict[str, Any] = {}
    for name in wanted:
        if name in ("message_id", "from_addr", "from_name", "subject", "in_reply_to"):
            out[name] = _strings(pa, getattr(t, name))
        elif name in ("text", "html"):
            body: StringColumn | None = getattr(t, name)
            assert body is not None  # the builder was made with the columns wanted
            out[name] = _strings(pa, body)
        elif name == "date":
            validity = t.date_validity
            out[name] = pa.Array.from_buffers(
                pa.timestamp("s", tz="UTC"),
                rows,
                [None if validity is None else pa.py_buffer(validity), pa.py_buffer(t.date)],
            )
        elif name == "size":
            out[name] = _int64(pa, t.size, rows)
        elif name == "thread_id":
            out[name] = _int64(pa, t.thread_id, rows)
        elif name in ("to", "cc", "bcc", "references"):
            lists: StringListColumn = getattr(t, name)
            out[name] = _list_of(pa, lists.offsets, _strings(pa, lists.values), rows)
        elif name == "attachments":
            a = t.attachments
            fields = [_strings(pa, a.name), _strings(pa, a.content_type)]
            fields.append(_int64(pa, a.size, a.name.length))
            struct = pa.StructArray.from_arrays(fields, ["name", "content_type", "size"])
            out[name] = _list_of(pa, a.offsets, struct, rows)
        elif name == "headers":
            h = t.headers
            assert h is not None
            struct = pa.StructArray.from_arrays(
                [_strings(pa, h.name), _strings(pa, h.value)], ["name", "value"]
            )
            out[name] = _list_of(pa, h.offsets, struct, rows)
    return out


def to_arrow(
    messages: MessagesInput,
    columns: Sequence[str] | None = None,
    *,
    threads: int = 0,
    progress: bool | None = None,
) -> pyarrow.Table:
    """A ``pyarrow.Table`` of ``messages`` (Messages, or the path of an archive
    that ``mailroom.read`` reads) with the schema above; ``columns`` picks and
    orders them (``text``, ``html`` and ``headers`` only when named; ``folder``,
    ``flags`` and ``source`` by default when any message has them). ``progress``:
    a tqdm bar (None: when a terminal or notebook is attached)."""
    pa = _pyarrow()
    wanted = _columns(columns)
    archive._check_threads(threads)
    builder = _builder(wanted, threads)
    if isinstance(messages, (str, os.PathLike)) and _is_mbox(os.fspath(messages)):
        path = os.fspath(messages)
        total = None if archive._is_compressed(path) else os.path.getsize(path)
        with progress_bar(progress, total=total, unit="B", desc=path) as bar:
            _add_mbox(builder, path, on_chunk=bar.update)
        where: dict[str, list[Any]] = {"folder": [], "flags": [], "source": [path] * builder.rows}
    else:
        source: Iterable[Message] = (
            archive.read(messages, threads=threads, progress=progress)
            if isinstance(messages, (str, os.PathLike))
            else messages
        )
        where = _add_messages(builder, source)
    names = list(wanted)
    if columns is None:
        names += [k for k in WHERE_COLUMNS if any(v is not None for v in where[k])]
    return _finish(pa, builder, names, where)


def _builder(wanted: Sequence[str], threads: int) -> MessageTableBuilder:
    return MessageTableBuilder(
        text="text" in wanted, html="html" in wanted, headers="headers" in wanted, threads=threads
    )


def _add_messages(builder: MessageTableBuilder, source: Iterable[Message]) -> dict[str, list[Any]]:
    """Adds the messages in batches; returns their folder, flags and source."""
    where: dict[str, list[Any]] = {"folder": [], "flags": [], "source": []}
    batch: list[ParsedMessage] = []
    for msg in source:
        if not isinstance(msg, Message):
            raise TypeError(f"to_arrow() takes Messages, not {type(msg).__name__}")
        batch.append(msg._core)
        where["folder"].append(msg.folder)
        where["flags"].append(msg.flags)
        where["source"].append(msg.source)
        if len(batch) >= _BATCH:
            builder.add(batch)
            batch = []
    if batch:
        builder.add(batch)
    return where


def _finish(
    pa: Any, builder: MessageTableBuilder, names: list[str], where: dict[str, list[Any]]
) -> Any:
    chunks = builder.finish()  # each filled by one thread: one chunk of each column
    native = [c for c in names if c not in WHERE_COLUMNS]
    per_chunk = [_arrow_columns(pa, chunk, native) for chunk in chunks]
    rows = sum(chunk.rows for chunk in chunks)
    arrays = []
    for name in names:
        if name in WHERE_COLUMNS:
            values = where[name] or [None] * rows
            kind = pa.list_(pa.string()) if name == "flags" else pa.string()
            arrays.append(pa.chunked_array([pa.array(values, type=kind)]))
        else:
            arrays.append(pa.chunked_array([cols[name] for cols in per_chunk]))
    return pa.Table.from_arrays(arrays, names=names)


def _is_mbox(path: str) -> bool:
    return os.path.isfile(path) and archive._looks_like_mbox(path)


def _add_mbox(
    builder: MessageTableBuilder,
    path: str,
    start: int = 0,
    end: int | None = None,
    on_chunk: Callable[[int], None] | None = None,
) -> None:
    """Adds the messages of an mbox, or of its bytes [start, end) (both at
    envelope lines; an uncompressed file only)."""
    reader = MboxReader("detect")
    with archive._open_decompressed(path) as f:
        if start:
            f.seek(start)
        left = None if end is None else end - start
        while left is None or left > 0:
            want = _MBOX_CHUNK if left is None else min(_MBOX_CHUNK, left)
            chunk, broken_off = archive._read_chunk(f, want, path, reader.consumed)
            if not chunk:
                break
            if left is not None:
                left -= len(chunk)
            reader.feed(chunk)
            builder.add_mbox(reader)
            if on_chunk is not None:
                on_chunk(len(chunk))
            if broken_off:
                break
    reader.finish()
    builder.add_mbox(reader)


def to_pandas(
    messages: MessagesInput,
    columns: Sequence[str] | None = None,
    *,
    threads: int = 0,
    progress: bool | None = None,
) -> pandas.DataFrame:
    """A pandas DataFrame of ``messages``: ``to_arrow(...).to_pandas()``, the
    date a ``datetime64`` in UTC, the lists as arrays per row."""
    try:
        import pandas  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            'mailroom.to_pandas needs pandas: pip install "mailroom[data]" (pandas and pyarrow)'
        ) from exc
    return to_arrow(messages, columns, threads=threads, progress=progress).to_pandas()


def write_parquet(
    messages: MessagesInput,
    path: str | os.PathLike[str],
    partition_by: Sequence[str] | None = ("year", "month"),
    columns: Sequence[str] | None = None,
    *,
    threads: int = 0,
    progress: bool | None = None,
) -> None:
    """Write ``messages`` as a Parquet dataset under ``path`` (a directory),
    partitioned by ``partition_by`` (``year`` and ``month`` of the date, UTC,
    are added for it; any other column of the table may be named; None or ()
    writes one file ``path`` instead). pandas, Dask and DuckDB read it back."""
    _pyarrow()
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    table = to_arrow(messages, columns, threads=threads, progress=progress)
    parts = list(partition_by or ())
    if "year" in parts or "month" in parts:
        if "date" not in table.column_names:
            raise ValueError("partitioning by year or month needs the date column")
        date = table.column("date")
        if "year" in parts:
            table = table.append_column("year", pc.year(date))
        if "month" in parts:
            table = table.append_column("month", pc.month(date))
    missing = [p for p in parts if p not in table.column_names]
    if missing:
        raise ValueError(f"cannot partition by {missing}: not a column of the table")
    if parts:
        pq.write_to_dataset(table, os.fspath(path), partition_cols=parts)
    else:
        pq.write_table(table, os.fspath(path))
