"""A whole mail account into a Maildir, an mbox or Parquet, resumably:
``mailroom archive SOURCE DEST``.

What was saved is known per IMAP folder by UIDVALIDITY and the highest UID
saved (RFC 9051 §2.3.1.1: UIDs only grow while UIDVALIDITY stays), and for
POP3 by UIDL. The state is a small JSON file beside DEST,
``DEST.mailroom-archive.json``:

    {"version": 1, "source": "imap://bob%40example.org@host:143/",
     "imap": {"INBOX": {"uidvalidity": 3857529045, "last_uid": 4391}},
     "pop3": ["m1", "m2"]}

written (a temporary file renamed over it) after each batch is saved, so an
interrupted run fetches again at most one batch. A folder whose UIDVALIDITY
changed is fetched again whole. The server is only read (EXAMINE, BODY.PEEK).
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .archive import write_maildir, write_mbox
from .imap_download import check_fetch_connections
from .mail_urls import MailURL, imap_folders, open_imap, open_pop3, parse_mail_url
from .message import Message
from .progress import progress_bar

__all__ = ["ARCHIVE_FORMATS", "ArchiveResult", "archive_account", "archive_form", "state_path"]

ARCHIVE_FORMATS = ("maildir", "mbox", "parquet")
_BATCH = 500


@dataclass
class ArchiveResult:
    """How many messages were saved now, per folder, and how many were
    there already."""

    saved: dict[str, int] = field(default_factory=dict)
    already: int = 0
    refetched: list[str] = field(default_factory=list)  # UIDVALIDITY changed

    @property
    def total_saved(self) -> int:
        return sum(self.saved.values())


def archive_form(dest: str, form: str | None) -> str:
    """``form`` as given, else by DEST: ``.mbox`` is an mbox file,
    ``.parquet`` a Parquet dataset directory, anything else a Maildir."""
    if form is not None:
        if form not in ARCHIVE_FORMATS:
            raise ValueError(f"format must be one of {', '.join(ARCHIVE_FORMATS)}, not {form!r}")
        return form
    lowered = dest.lower().rstrip("/")
    if lowered.endswith(".mbox"):
        return "mbox"
    if lowered.endswith(".parquet"):
        return "parquet"
    return "maildir"


def state_path(dest: str) -> str:
    return os.path.normpath(dest) + ".mailroom-archive.json"


class _State:
    def __init__(self, path: str, source: str) -> None:
        self.path = path
        self.source = source
        self.imap: dict[str, dict[str, int]] = {}
        self.pop3: set[str] = set()
        try:
            with open(path, encoding="utf-8") as f:
                data = json.load(f)
        except FileNotFoundError:
            return
        except (OSError, ValueError) as e:
            raise ValueError(f"cannot read the archive state {path}: {e}") from None
        if not isinstance(data, dict) or data.get("version") != 1:
            raise ValueError(f"the archive state {path} is not one mailroom wrote")
        if data.get("source") != source:
            raise ValueError(
                f"{path} records an archive of {data.get('source')}, not of {source}: "
                "give another DEST"
            )
        folders = data.get("imap", {})
        uidls = data.get("pop3", [])
        if not isinstance(folders, dict) or not isinstance(uidls, list):
            raise ValueError(f"the archive state {path} is not one mailroom wrote")
        for name, entry in folders.items():
            if not (
                isinstance(entry, dict)
                and all(isinstance(entry.get(k), int) for k in ("uidvalidity", "last_uid"))
            ):
                raise ValueError(f"the archive state {path} is not one mailroom wrote")
            self.imap[str(name)] = {k: int(entry[k]) for k in ("uidvalidity", "last_uid")}
        self.pop3 = {str(u) for u in uidls}

    def save(self) -> None:
        folder = os.path.dirname(self.path) or "."
        text = json.dumps(
            {"version": 1, "source": self.source, "imap": self.imap, "pop3": sorted(self.pop3)}
        )
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".mailroom-archive.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text + "\n")
            os.replace(tmp, self.path)
        except BaseException:
            os.unlink(tmp)
            raise


def _writer(dest: str, form: str) -> Callable[[list[Message]], None]:
    if form == "mbox":
        parent = os.path.dirname(os.path.abspath(dest))
        os.makedirs(parent, exist_ok=True)
        return lambda batch: (write_mbox(batch, dest, append=True), None)[1]
    if form == "maildir":
        return lambda batch: (write_maildir(batch, dest, folders=True), None)[1]
    from .tables import write_parquet

    os.makedirs(dest, exist_ok=True)
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%S%f")
    counter = iter(range(1_000_000))

    def parquet(batch: list[Message]) -> None:
        name = f"part-{stamp}-{next(counter):05d}.parquet"
        write_parquet(batch, os.path.join(dest, name), partition_by=None, progress=False)

    return parquet


def _maildir_folder(name: str, delimiter: str) -> str:
    """An IMAP folder name as a Maildir++ folder ("Work/2024"); dots, which
    Maildir++ uses between levels, become "_"."""
    parts = name.split(delimiter) if delimiter else [name]
    return "/".join(p.replace(".", "_") for p in parts)


def archive_account(
    source: str,
    dest: str | os.PathLike[str],
    *,
    form: str | None = None,
    password: str | None = None,
    progress: bool | None = None,
    batch: int = _BATCH,
    connections: int | None = None,
    **options: Any,
) -> ArchiveResult:
    """Save what is new in the account ``source`` (an imap://, imaps://,
    pop3:// or pop3s:// URL, see mailroom.mail_urls) into ``dest``; see the
    module's text. ``connections``: how many IMAP connections download at
    once (see IMAPClient.fetch; None: one). ``options`` go to the client (``tls``, ``cafile``,
    ``timeout``...)."""
    url = parse_mail_url(source)
    dest = os.fspath(dest)
    form = archive_form(dest, form)
    if form == "parquet":
        from .tables import _pyarrow

        _pyarrow()  # say what to install before connecting
    if not isinstance(batch, int) or batch < 1:
        raise ValueError("batch must be a positive int")
    check_fetch_connections(connections)
    if url.protocol == "pop3" and connections not in (None, 1):
        raise ValueError("connections is for imap:// URLs: a POP3 session locks the maildrop")
    state = _State(state_path(dest), str(url.with_folder(None)))
    write = _writer(dest, form)
    if url.protocol == "pop3":
        return _archive_pop3(url, password, state, write, progress, batch, options)
    return _archive_imap(url, password, state, write, progress, batch, form, connections, options)


def _archive_imap(
    url: MailURL,
    password: str | None,
    state: _State,
    write: Callable[[list[Message]], None],
    progress: bool | None,
    batch: int,
    form: str,
    connections: int | None,
    options: Any,
) -> ArchiveResult:
    result = ArchiveResult()
    with open_imap(url, password, **options) as imap:
        delimiters = {f.name: f.delimiter for f in imap.list_folders()}
        for folder in imap_folders(imap, url):
            sel = imap.select(folder, readonly=True)
            known = state.imap.get(folder)
            if known is not None and known["uidvalidity"] != sel.uidvalidity:
                result.refetched.append(folder)  # RFC 9051 §2.3.1.1: the UIDs are new
                known = None
            last = known["last_uid"] if known else 0
            uids = imap.search()
            new = [u for u in uids if u > last]
            result.already += len(uids) - len(new)
            saved = 0
            label = str(url.with_folder(folder))
            # One download for the folder (pipelined, over ``connections``),
            # saved a chunk of ``batch`` UIDs at a time: the messages come in
            # UID order, so the state can say "up to here" after each chunk.
            with progress_bar(progress, total=len(new), unit="msg", desc=label) as bar:
                fetched = iter(imap.fetch(new, connections=connections))
                ahead: Message | None = None  # the first message of a later chunk
                for start in range(0, len(new), batch):
                    chunk = new[start : start + batch]
                    messages: list[Message] = []
                    if ahead is None:
                        ahead = next(fetched, None)
                    while ahead is not None and (ahead.uid or 0) <= chunk[-1]:
                        messages.append(ahead)
                        ahead = next(fetched, None)
                    if form == "maildir":
                        for m in messages:
                            m.folder = _maildir_folder(folder, delimiters.get(folder, "/"))
                    write(messages)
                    saved += len(messages)
                    state.imap[folder] = {
                        "uidvalidity": int(sel.uidvalidity or 0),
                        "last_uid": chunk[-1],
                    }
                    state.save()
                    bar.update(len(chunk))
            if folder not in state.imap:
                state.imap[folder] = {"uidvalidity": int(sel.uidvalidity or 0), "last_uid": 0}
                state.save()
            result.saved[folder] = saved
    return result


def _archive_pop3(
    url: MailURL,
    password: str | None,
    state: _State,
    write: Callable[[list[Message]], None],
    progress: bool | None,
    batch: int,
    options: Any,
) -> ArchiveResult:
    result = ArchiveResult()
    with open_pop3(url, password, **options) as pop:
        uidls: dict[int, str] = pop.uidl()
        new = sorted(n for n, u in uidls.items() if u not in state.pop3)
        result.already = len(uidls) - len(new)
        source = str(url.with_folder(None))
        with progress_bar(progress, total=len(new), unit="msg", desc=source) as bar:
            for start in range(0, len(new), batch):
                chunk: Sequence[int] = new[start : start + batch]
                messages = []
                for n in chunk:
                    msg = Message.parse(pop.retr_bytes(n))
                    msg.source, msg.folder = source, None
                    messages.append(msg)
                write(messages)
                state.pop3.update(uidls[n] for n in chunk)
                state.save()
                bar.update(len(chunk))
        result.saved["INBOX"] = len(new)
    return result
