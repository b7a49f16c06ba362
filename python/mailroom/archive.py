"""Mail as data: read whole archives, write them back.

``mailroom.read(source)`` reads an mbox file, a Maildir (with its Maildir++
folders), a directory or glob of ``.eml`` files; gzip-, xz- and
bzip2-compressed files are read transparently (by their magic bytes). The
readers stream: an mbox is framed natively a chunk at a time, and each batch
of raw messages is parsed on native threads with the GIL released, so memory
stays bounded by a chunk plus a batch whatever the archive's size.

Every ``Message`` yielded knows where it came from: ``msg.source`` (the
file), ``msg.offset`` (the byte offset of its mbox entry, in the decompressed
stream), ``msg.folder`` and ``msg.flags`` (Maildir), and ``msg.unix_from``
(the mbox envelope line). Nothing is ever written to the source.

``write_mbox`` and ``write_maildir`` write what Python's ``mailbox`` reads
back, byte for byte (and read what it writes).
"""

from __future__ import annotations

import bz2
import glob as _glob
import gzip
import lzma
import os
import socket
import time
import warnings
import zlib
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import BinaryIO, Literal, Union

from . import _core
from .message import Defect, Message
from .progress import Progress, progress_bar

__all__ = [
    "ArchiveError",
    "ArchiveWarning",
    "MBOX_VARIANTS",
    "read",
    "read_eml",
    "read_maildir",
    "read_mbox",
    "thread_ids",
    "write_maildir",
    "write_mbox",
]

MBOX_VARIANTS = ("mboxo", "mboxrd", "mboxcl", "mboxcl2")
_CHUNK = 1 << 20  # bytes read from an mbox at a time
_BATCH_FILES = 256  # Maildir / .eml files parsed together
_BATCH_BYTES = 16 << 20

PathInput = Union[str, "os.PathLike[str]"]
Errors = Literal["warn", "raise"]


class ArchiveError(OSError):
    """An archive (or a file in it) that cannot be read at all."""


class ArchiveWarning(UserWarning):
    """A file of an archive that could not be read; the rest was read."""


def _compression(path: str) -> str | None:
    """ "gzip", "xz" or "bzip2" by the file's first bytes; None for none."""
    with open(path, "rb") as f:
        magic = f.read(6)
    if magic[:2] == b"\x1f\x8b":
        return "gzip"
    if magic == b"\xfd7zXZ\x00":
        return "xz"
    if magic[:3] == b"BZh":
        return "bzip2"
    return None


def _is_compressed(path: str) -> bool:
    return _compression(path) is not None


def _open_decompressed(path: str) -> BinaryIO:
    """The file, decompressed when its first bytes say gzip, xz or bzip2."""
    kind = _compression(path)
    if kind == "gzip":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    if kind == "xz":
        return lzma.open(path, "rb")  # type: ignore[return-value]
    if kind == "bzip2":
        return bz2.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")  # noqa: SIM115 - handed to the caller, who closes it


def _read_whole(path: str) -> bytes:
    with _open_decompressed(path) as f:
        return f.read()


def _check_threads(threads: int) -> int:
    if not isinstance(threads, int) or threads < 0:
        raise ValueError(f"threads must be an int >= 0 (0: one per core), got {threads!r}")
    return threads


def _check_errors(errors: str) -> None:
    if errors not in ("warn", "raise"):
        raise ValueError(f'errors must be "warn" or "raise", got {errors!r}')


def _unreadable(path: str, exc: OSError, errors: Errors) -> None:
    if errors == "raise":
        raise ArchiveError(exc.errno, f"cannot read {path}: {exc.strerror or exc}") from exc
    warnings.warn(f"skipped {path}: {exc.strerror or exc}", ArchiveWarning, stacklevel=4)


# -- mbox ---------------------------------------------------------------------


def read_mbox(
    source: PathInput | BinaryIO,
    variant: str | None = None,
    *,
    threads: int = 0,
    max_message_bytes: int = 256 << 20,
    progress: bool | None = None,
) -> Iterator[Message]:
    """The messages of an mbox file (or a binary stream of one), in order.

    ``variant`` is ``"mboxo"``, ``"mboxrd"``, ``"mboxcl"`` or ``"mboxcl2"``
    (Content-Length), or None to detect it from the file: its ``>From ``
    quoting is undone as the variant says. Each message has ``unix_from``,
    ``source`` and ``offset``; what was wrong with its entry (a Content-Length
    that does not fit, a message over ``max_message_bytes``, the file ending
    mid-message) is in its ``defects``. Bytes before the first envelope line
    are skipped with an ``ArchiveWarning``. ``progress``: a tqdm bar of the
    bytes read (None: when a terminal or notebook is attached).
    """
    if variant is not None and variant not in MBOX_VARIANTS:
        raise ValueError(
            f"variant must be one of {', '.join(MBOX_VARIANTS)} or None, got {variant!r}"
        )
    _check_threads(threads)
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        try:
            stream = _open_decompressed(path)
        except OSError as exc:
            raise ArchiveError(exc.errno, f"cannot read mbox {path}: {exc.strerror}") from exc
        total = None if _is_compressed(path) else os.path.getsize(path)
        with stream, progress_bar(progress, total=total, unit="B", desc=path) as bar:
            yield from _mbox_messages(stream, path, variant, threads, max_message_bytes, bar)
    elif hasattr(source, "read"):
        name = getattr(source, "name", None)
        with progress_bar(progress, total=None, unit="B", desc="mbox") as bar:
            yield from _mbox_messages(
                source,
                name if isinstance(name, str) else None,
                variant,
                threads,
                max_message_bytes,
                bar,
            )
    else:
        raise TypeError(f"read_mbox() takes a path or a binary file, not {type(source).__name__}")


def _mbox_messages(
    stream: BinaryIO,
    name: str | None,
    variant: str | None,
    threads: int,
    max_bytes: int,
    bar: Progress,
) -> Iterator[Message]:
    reader = _core.archive.MboxReader(variant or "detect", max_bytes)
    reported = 0

    def batch(broken_off: bool = False) -> Iterator[Message]:
        nonlocal reported
        framed_messages = reader.take(threads)
        for n, framed in enumerate(framed_messages, 1):
            msg = Message(framed.message)
            msg.source, msg.offset = name, framed.offset
            msg._unix_from = "From " + framed.envelope
            msg._source_defects = [Defect(d.kind, d.detail, -1, d.offset) for d in framed.defects]
            if broken_off and n == len(framed_messages):
                msg._source_defects.append(
                    Defect(
                        "truncated",
                        "the stream breaks off in or right after this message",
                        -1,
                        reader.consumed,
                    )
                )
            yield msg
        stream_defects = reader.defects()
        for d in stream_defects[reported:]:
            warnings.warn(
                f"{name or 'mbox'}: {d.kind} at byte {d.offset}: {d.detail}",
                ArchiveWarning,
                stacklevel=4,
            )
        reported = len(stream_defects)

    broken_off = False
    while not broken_off:
        chunk, broken_off = _read_chunk(stream, _CHUNK, name, reader.consumed)
        if not chunk:
            break
        if not isinstance(chunk, bytes):
            raise TypeError("read_mbox() reads a file opened in binary mode ('rb')")
        reader.feed(chunk)
        bar.update(len(chunk))
        yield from batch()
    reader.finish()
    yield from batch(broken_off)


def _read_chunk(stream: BinaryIO, size: int, name: str | None, at: int) -> tuple[bytes, bool]:
    """Up to ``size`` next bytes of an mbox stream (b"" at its end), and
    whether the stream broke off there (a compressed file cut short or
    corrupt, a read error), which an ``ArchiveWarning`` says: the bytes read
    before the break are given, so every message before it is read."""
    read = getattr(stream, "read1", stream.read)  # one decompressed block at a time
    parts: list[bytes] = []
    got = 0
    try:
        while got < size:
            part = read(size - got)
            if not part:
                break
            parts.append(part)
            got += len(part)
    except (EOFError, OSError, zlib.error, lzma.LZMAError) as exc:
        warnings.warn(
            f"{name or 'mbox'}: the stream breaks off after byte {at + got} ({exc}); "
            "the messages before are read",
            ArchiveWarning,
            stacklevel=5,
        )
        return b"".join(parts), True
    return parts[0] if len(parts) == 1 else b"".join(parts), False


def _envelope_of(msg: Message) -> str:
    """The envelope line's text after "From ": the message's own, else its
    sender and date (asctime, UTC) as mail programs write them."""
    own = msg.unix_from
    if own is not None and own.startswith("From "):
        return own[5:]
    sender = msg.sender
    address = sender.address if sender is not None and sender.address else "MAILER-DAEMON"
    date = msg.date
    when = time.gmtime(date.timestamp()) if date is not None else time.gmtime()
    return f"{address} {time.asctime(when)}"


def _as_message(item: Message | bytes | bytearray | memoryview) -> Message:
    if isinstance(item, Message):
        return item
    if isinstance(item, (bytes, bytearray, memoryview)):
        return Message.parse(item)
    raise TypeError(f"write a Message or bytes, not {type(item).__name__}")


def _open_for_writing(path: str, append: bool) -> BinaryIO:
    mode = "ab" if append else "wb"
    if path.endswith(".gz"):
        return gzip.open(path, mode)  # type: ignore[return-value]
    if path.endswith(".xz"):
        return lzma.open(path, mode)  # type: ignore[return-value]
    return open(path, "ab") if append else open(path, "wb")  # noqa: SIM115


def write_mbox(
    messages: Iterable[Message | bytes],
    path: PathInput,
    variant: str = "mboxrd",
    *,
    append: bool = False,
) -> int:
    """Write ``messages`` as an mbox file; returns how many were written.

    ``variant`` quotes body lines starting with ``From `` as it defines
    (``mboxrd``, the default, is the one that reads back exactly; ``mboxo`` is
    what Python's ``mailbox.mbox`` writes, byte for byte; ``mboxcl`` and
    ``mboxcl2`` add a Content-Length field). The envelope line is the
    message's own ``unix_from``, else its sender and date. A path ending in
    ``.gz`` or ``.xz`` is compressed. ``append=True`` adds to an existing file.
    """
    if variant not in MBOX_VARIANTS:
        raise ValueError(f"variant must be one of {', '.join(MBOX_VARIANTS)}, got {variant!r}")
    count = 0
    with _open_for_writing(os.fspath(path), append) as out:
        pending: list[tuple[str, bytes]] = []
        size = 0
        for item in messages:
            msg = _as_message(item)
            raw = bytes(msg)
            pending.append(("" if raw.startswith(b"From ") else _envelope_of(msg), raw))
            size += len(raw)
            if len(pending) >= _BATCH_FILES or size >= _BATCH_BYTES:
                out.write(_core.archive.mbox_entries(pending, variant))
                count += len(pending)
                pending, size = [], 0
        if pending:
            out.write(_core.archive.mbox_entries(pending, variant))
            count += len(pending)
    return count


# -- Maildir ------------------------------------------------------------------


def _is_maildir(path: Path) -> bool:
    return (path / "cur").is_dir() or (path / "new").is_dir()


def _maildir_folders(root: Path, folders: bool) -> list[tuple[str, Path]]:
    """("INBOX", root) and each Maildir++ folder (".Work.2024" -> "Work/2024")."""
    found = [("INBOX", root)] if _is_maildir(root) else []
    if folders:
        subs = []
        for entry in root.iterdir():
            name = entry.name
            if len(name) > 1 and name[0] == "." and name != ".." and entry.is_dir():
                if _is_maildir(entry):
                    subs.append((name[1:].replace(".", "/"), entry))
        found += sorted(subs)
    return found


def _maildir_files(folder: Path) -> list[tuple[str, str]]:
    """(path, info) of each message file in new/ and cur/, by name (which
    starts with the delivery time)."""
    files = []
    for sub in ("new", "cur"):
        d = folder / sub
        if not d.is_dir():
            continue
        for name in os.listdir(d):
            if name.startswith("."):
                continue
            base, sep, info = name.partition(":")
            files.append((name, str(d / name), info[2:] if sep and info.startswith("2,") else ""))
    files.sort()
    return [(p, info) for _, p, info in files]


def read_maildir(
    path: PathInput,
    folders: bool = True,
    *,
    threads: int = 0,
    errors: Errors = "warn",
    progress: bool | None = None,
) -> Iterator[Message]:
    """The messages of a Maildir: INBOX (the directory itself) and, with
    ``folders``, its Maildir++ folders. Each has ``folder`` ("INBOX",
    "Work/2024"), ``flags`` (from the file name's info: ``\\Seen`` and so on,
    then the keywords its letters a-z name in the folder's dovecot-keywords
    file, as Dovecot and mailroom's store write them, like ``$Forwarded``)
    and ``source``. A file that cannot be read is skipped with an
    ``ArchiveWarning`` (``errors="raise"``: an ``ArchiveError``)."""
    _check_threads(threads)
    _check_errors(errors)
    root = Path(os.fspath(path))
    if not root.is_dir():
        raise ArchiveError(2, f"no Maildir at {root}: not a directory")
    boxes = _maildir_folders(root, folders)
    if not boxes:
        raise ArchiveError(2, f"no Maildir at {root}: it has no cur/ or new/ and no .Folder")
    files = [
        (p, {"folder": folder, "info": info})
        for folder, dir_ in boxes
        for p, info in _maildir_files(dir_)
    ]
    with progress_bar(progress, total=len(files), unit="msg", desc=str(root)) as bar:
        yield from _file_messages(files, threads, errors, bar)


def _file_messages(
    files: list[tuple[str, dict[str, str]]],
    threads: int,
    errors: Errors,
    bar: Progress | None = None,
) -> Iterator[Message]:
    batch: list[tuple[str, dict[str, str], bytes]] = []
    size = 0
    tables: dict[str, list[str]] = {}

    def flush() -> Iterator[Message]:
        cores = _core.archive.parse_messages([raw for _, _, raw in batch], threads)
        if bar is not None:
            bar.update(len(batch))
        for (p, meta, _raw), core in zip(batch, cores):
            msg = Message(core)
            msg.source = p
            if "folder" in meta:
                msg.folder = meta["folder"]
                table = _keyword_table(os.path.dirname(os.path.dirname(p)), tables)
                msg.flags = list(_core.archive.maildir_flags(meta["info"], table))
            yield msg

    for p, meta in files:
        try:
            raw = _read_whole(p)
        except OSError as exc:
            _unreadable(p, exc, errors)
            continue
        batch.append((p, meta, raw))
        size += len(raw)
        if len(batch) >= _BATCH_FILES or size >= _BATCH_BYTES:
            yield from flush()
            batch, size = [], 0
    if batch:
        yield from flush()


def _keyword_table(folder: str, tables: dict[str, list[str]]) -> list[str]:
    """The keyword of each Maildir info letter a-z in ``folder``, from its
    dovecot-keywords file (as Dovecot and mailroom's store write it); empty
    when it has none or it cannot be read."""
    if folder not in tables:
        try:
            with open(os.path.join(folder, "dovecot-keywords"), "rb") as f:
                text = f.read(1 << 20).decode("utf-8", "replace")
        except OSError:
            text = ""
        tables[folder] = list(_core.archive.maildir_keyword_table(text))
    return tables[folder]


_counter = 0


def _unique_name() -> str:
    """time.MusecPpidQcounter.host: the Maildir convention for a new file name
    (cr.yp.to/proto/maildir.html), as the store names its files."""
    global _counter
    _counter += 1
    now = time.time()
    host = socket.gethostname().replace("/", "_").replace(":", "_") or "localhost"
    return f"{int(now)}.M{int(now * 1e6) % 1_000_000}P{os.getpid()}Q{_counter}.{host}"


def write_maildir(
    messages: Iterable[Message | bytes], path: PathInput, *, folders: bool = True
) -> int:
    """Write ``messages`` into a Maildir (made when missing); returns how many.

    A message with ``flags`` goes to cur/ with them in its name (``:2,FS``),
    one without to new/. Keywords (flags that are not system flags, like
    ``$Forwarded``) are letters a-z there, named in the folder's
    dovecot-keywords file as Dovecot and mailroom's store write it (letters
    the file already names are kept; at most 26 keywords a folder). With
    ``folders``, a message whose ``folder`` is set goes to that Maildir++
    folder ("Work/2024" -> ".Work.2024"). Each file is written to tmp/ and
    renamed into place, as the Maildir protocol says."""
    root = Path(os.fspath(path))
    keywords: dict[Path, list[str]] = {}  # the letters of each folder written to
    count = 0
    for item in messages:
        msg = _as_message(item)
        folder = msg.folder if folders and msg.folder and msg.folder.upper() != "INBOX" else None
        if folder is not None and ("." in folder or folder.startswith("/") or ".." in folder):
            raise ValueError(f"folder {folder!r}: a Maildir++ folder name has no '.'")
        box = root / ("." + folder.replace("/", ".")) if folder else root
        if box not in keywords:
            for sub in ("tmp", "new", "cur"):
                (box / sub).mkdir(parents=True, exist_ok=True)
            keywords[box] = list(_keyword_table(str(box), {}))
        name = _unique_name()
        info = ""
        if msg.flags:
            info, keywords[box], added = _core.archive.maildir_info(msg.flags, keywords[box])
            if added:  # the names before any file uses their letters
                _replace_file(
                    box, "dovecot-keywords", _core.archive.maildir_keyword_file(keywords[box])
                )
        tmp = box / "tmp" / name
        with open(tmp, "wb") as f:
            f.write(bytes(msg))
        final = box / ("cur" if msg.flags else "new") / (name + (":2," + info if msg.flags else ""))
        os.rename(tmp, final)
        count += 1
    return count


def _replace_file(box: Path, name: str, text: str) -> None:
    """``box/name`` replaced at once by ``text`` (written in tmp/, renamed)."""
    tmp = box / "tmp" / (_unique_name() + "." + name)
    tmp.write_bytes(text.encode())
    os.replace(tmp, box / name)


# -- .eml and read() ------------------------------------------------------------


def read_eml(
    paths: PathInput | Iterable[PathInput],
    *,
    threads: int = 0,
    errors: Errors = "warn",
    progress: bool | None = None,
) -> Iterator[Message]:
    """Messages from ``.eml`` files: a path, a list of paths, a directory (its
    ``*.eml`` files, recursively) or a glob pattern. A leading ``From `` line
    (Thunderbird's) is read as the envelope line."""
    _check_threads(threads)
    _check_errors(errors)
    files: list[tuple[str, dict[str, str]]] = [(p, {}) for p in _eml_paths(paths)]
    with progress_bar(progress, total=len(files), unit="msg", desc=".eml") as bar:
        yield from _file_messages(files, threads, errors, bar)


def _eml_paths(paths: PathInput | Iterable[PathInput]) -> list[str]:
    if isinstance(paths, (str, os.PathLike)):
        p = os.fspath(paths)
        if os.path.isdir(p):
            return sorted(
                str(f) for f in Path(p).rglob("*") if f.is_file() and _is_eml_name(f.name)
            )
        if _glob.has_magic(p):
            return sorted(_glob.glob(p, recursive=True))
        return [p]
    return [os.fspath(p) for p in paths]


def _is_eml_name(name: str) -> bool:
    return name.lower().removesuffix(".gz").removesuffix(".xz").endswith(".eml")


def _looks_like_mbox(path: str) -> bool:
    if _is_eml_name(os.path.basename(path)):
        return False
    try:
        with _open_decompressed(path) as f:
            return f.read(5) == b"From "
    except (EOFError, zlib.error, lzma.LZMAError):
        return True  # compressed and broken off at once: read_mbox says so
    except OSError:
        return False


def read(
    source: PathInput | BinaryIO,
    *,
    threads: int = 0,
    errors: Errors = "warn",
    progress: bool | None = None,
    password: str | None = None,
    tls: str | None = None,
    cafile: str | os.PathLike[str] | None = None,
    connections: int | None = None,
) -> Iterator[Message]:
    """Every message of an archive, whatever it is: a Maildir (with its
    Maildir++ folders), an mbox file, an ``.eml`` file, a directory of
    ``.eml`` files or a glob of files (each read as mbox or .eml by its
    name and first bytes), or a binary stream of an mbox; compressed
    files (gzip, xz, bzip2) are read transparently. ``progress``: a tqdm bar
    (None: when a terminal or notebook is attached; True, False: always, never).

    Or a mail account: ``imap://user@host/FOLDER`` (``*`` or no folder: every
    folder), ``imaps://``, ``pop3://user@host``, ``pop3s://``; the password
    from ``password=``, else ``MAILROOM_PASSWORD``, else ``IMAP_PASSWORD`` /
    ``POP3_PASSWORD`` (never from the URL); ``tls`` and ``cafile`` as the
    clients take them (see mailroom.mail_urls); ``connections``: how many
    IMAP connections download at once (None: one; see IMAPClient.fetch).
    The server is only read."""
    _check_threads(threads)
    _check_errors(errors)
    if not isinstance(source, (str, os.PathLike)):
        if hasattr(source, "read"):
            return read_mbox(source, threads=threads, progress=progress)
        raise TypeError(f"read() takes a path or a binary file, not {type(source).__name__}")
    p = os.fspath(source)
    if "://" in p:
        from .mail_urls import is_mail_url, read_url

        if not is_mail_url(p):
            scheme = p.split("://", 1)[0].lower()
            raise ValueError(
                f"read() cannot read {scheme}:// URLs: imap://, imaps://, pop3:// and "
                "pop3s:// name mail accounts; anything else is a local path"
            )
        options: dict[str, object] = {"tls": tls}
        if cafile is not None:
            options["cafile"] = cafile
        return read_url(
            p,
            password=password,
            threads=threads,
            progress=progress,
            connections=connections,
            **options,
        )
    if password is not None or tls is not None or cafile is not None or connections is not None:
        raise ValueError("password, tls, cafile and connections are for imap:// and pop3:// URLs")
    if os.path.isdir(p):
        root = Path(p)
        if _maildir_folders(root, True):
            return read_maildir(root, threads=threads, errors=errors, progress=progress)
        return read_eml(root, threads=threads, errors=errors, progress=progress)
    if _glob.has_magic(p) and not os.path.exists(p):
        return _read_many(sorted(_glob.glob(p, recursive=True)), threads, errors, progress)
    if not os.path.exists(p):
        raise ArchiveError(2, f"no archive at {p}: no such file or directory")
    if _looks_like_mbox(p):
        return read_mbox(p, threads=threads, progress=progress)
    return read_eml([p], threads=threads, errors=errors, progress=progress)


def _read_many(
    paths: list[str], threads: int, errors: Errors, progress: bool | None
) -> Iterator[Message]:
    emls: list[str] = []
    for p in paths:
        if os.path.isdir(p):
            continue
        if _looks_like_mbox(p):
            yield from read_eml(emls, threads=threads, errors=errors, progress=progress)
            emls = []
            yield from read_mbox(p, threads=threads, progress=progress)
        else:
            emls.append(p)
    yield from read_eml(emls, threads=threads, errors=errors, progress=progress)


# -- threads ---------------------------------------------------------------------


def thread_ids(messages: Sequence[Message]) -> list[int]:
    """The conversation each message belongs to (the tables' ``thread_id``):
    RFC 5256 REFERENCES threading (References, In-Reply-To, then base
    subjects), the algorithm IMAP's THREAD uses, names each thread by its
    root, the oldest message it knows of (present or only referred to), so
    that the same conversation has the same id whatever else is threaded
    with it.

    The id is ``int.from_bytes(hashlib.sha256(b"<root-id>").digest()[:8],
    "big") & (2**63 - 1)``; a root without a Message-ID is named the same
    way by the digest of its bytes. Threads joined by base subject alone take
    the id of the thread they join (the one that is not a reply, else the
    earliest)."""
    return list(_core.archive.thread_messages([m._core for m in messages]).thread_id)
