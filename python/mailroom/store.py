"""mailroom.store: the mail store, in memory or as a Maildir++ tree.

    store = MailStore("mail/")                 # Dovecot, mutt and mailbox.Maildir read it
    inbox = store.account("bob@example.org").inbox
    info = inbox.append(b"Subject: hi\\r\\n\\r\\nhello\\r\\n", flags=["\\\\Seen"])
    inbox.add_flags([info.uid], ["$Important"])
    inbox.move([info.uid], "Archive")

An account (a normalized address) has folders: INBOX and the RFC 6154 ones
(Sent, Drafts, Trash, Junk, Archive) are made with it; "/" separates levels.
A folder holds messages with a UID (never reused under one UIDVALIDITY),
flags and keywords, an internal date, a size and a MODSEQ (RFC 7162), and
remembers what was expunged at which MODSEQ. ``Server.store`` is the store a
running server delivers into. The store's work runs in C++ without the GIL;
bad input raises a ``StoreError`` subclass and changes nothing.
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Union

from . import _core
from ._core.store import (
    FolderExists,
    FolderNotAllowed,
    InvalidFlag,
    InvalidFolderName,
    LimitExceeded,
    NoSuchAccount,
    NoSuchFolder,
    NoSuchMessage,
    StoreError,
)
from .message import Message

__all__ = [
    "Account",
    "CopyResult",
    "Folder",
    "FolderExists",
    "FolderInfo",
    "FolderNotAllowed",
    "FolderStatus",
    "InvalidFlag",
    "InvalidFolderName",
    "LimitExceeded",
    "MailStore",
    "MessageInfo",
    "NoSuchAccount",
    "NoSuchFolder",
    "NoSuchMessage",
    "StoreError",
    "StoreChange",
    "StoreResult",
]

PathLike = Union[str, "os.PathLike[str]"]


@dataclass(frozen=True)
class MessageInfo:
    """One message of a folder, without its bytes (``Folder.fetch`` reads them)."""

    uid: int
    modseq: int
    flags: frozenset[str]  # "\\Seen", "\\Answered", ..., and keywords ("$Forwarded")
    internal_date: _dt.datetime
    size: int
    path: str | None  # the Maildir file; None in memory

    @classmethod
    def _from_native(cls, m: _core.store.StoredMessage) -> MessageInfo:
        when = _dt.datetime.fromtimestamp(m.internal_date, tz=_dt.timezone.utc)
        return cls(m.uid, m.modseq, frozenset(m.flags), when, m.size, m.path or None)


@dataclass(frozen=True)
class FolderInfo:
    name: str
    special_use: str | None  # RFC 6154: "\\Sent", "\\Drafts", ... or None


@dataclass(frozen=True)
class FolderStatus:
    """What IMAP STATUS reports (RFC 9051 §6.3.11, RFC 7162 HIGHESTMODSEQ)."""

    messages: int
    uidnext: int
    uidvalidity: int
    unseen: int
    deleted: int
    size: int
    highestmodseq: int


@dataclass(frozen=True)
class StoreResult:
    """The messages whose flags changed, and those left alone because they
    changed after ``unchanged_since`` (RFC 7162 §3.1.3 MODIFIED)."""

    changed: list[MessageInfo]
    modified: list[int]


@dataclass(frozen=True)
class StoreChange:
    """One change, as ``MailStore.on_change`` reports it."""

    kind: str  # "appended", "flags", "expunged", "created", "deleted", "renamed"
    account: str
    folder: str  # "renamed": the new name
    old_name: str | None  # "renamed": the old name
    uid: int | None  # message changes
    modseq: int | None  # message changes (RFC 7162)


@dataclass(frozen=True)
class CopyResult:
    """RFC 4315 COPYUID: the destination's UIDVALIDITY and the UIDs, pairwise."""

    uidvalidity: int
    source_uids: list[int]
    dest_uids: list[int]


def _copy_result(r: _core.store.CopyResult) -> CopyResult:
    return CopyResult(r.uidvalidity, list(r.source_uids), list(r.dest_uids))


def _uids(uids: Iterable[int]) -> list[int]:
    out = []
    for u in uids:
        if isinstance(u, bool) or not isinstance(u, int) or not 0 < u < 2**32:
            raise ValueError(f"a UID is an integer in 1..4294967295, not {u!r}")
        out.append(u)
    return out


def _flags(flags: Iterable[str]) -> list[str]:
    if isinstance(flags, str):
        raise TypeError("flags is a list of names, not one str")
    return [str(f) for f in flags]


def _date(value: _dt.datetime | float | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            raise ValueError("internal_date needs a time zone (a naive datetime is ambiguous)")
        return int(value.timestamp())
    return int(value)


class Folder:
    """One folder of one account."""

    def __init__(self, store: MailStore, account: str, name: str) -> None:
        self._store = store
        self._native = store._native
        self.account = account
        self.name = name

    def __repr__(self) -> str:
        return f"<mailroom.store.Folder {self.account} {self.name!r}>"

    def status(self) -> FolderStatus:
        st = self._native.status(self.account, self.name)
        return FolderStatus(
            st.messages,
            st.uidnext,
            st.uidvalidity,
            st.unseen,
            st.deleted,
            st.size,
            st.highestmodseq,
        )

    def __len__(self) -> int:
        return self.status().messages

    def __iter__(self) -> Iterator[MessageInfo]:
        return iter(self.messages())

    def messages(self) -> list[MessageInfo]:
        """Every message, by ascending UID (sequence numbers are positions + 1)."""
        return [MessageInfo._from_native(m) for m in self._native.messages(self.account, self.name)]

    def get(self, uid: int) -> MessageInfo | None:
        """The message with this UID, or None (O(log n))."""
        row = self._native.by_uid(self.account, self.name, _uids([uid])[0])
        return None if row is None else MessageInfo._from_native(row)

    def at(self, position: int) -> MessageInfo | None:
        """The message at a 1-based sequence number, or None."""
        if position < 1:
            raise ValueError(f"a sequence number starts at 1, not {position}")
        row = self._native.at(self.account, self.name, position)
        return None if row is None else MessageInfo._from_native(row)

    def fetch(self, uid: int) -> bytes:
        """The message's bytes as stored; ``NoSuchMessage`` when there is none."""
        return bytes(self._native.read(self.account, self.name, _uids([uid])[0]))

    def message(self, uid: int) -> Message:
        """The message parsed (``mailroom.Message``)."""
        return Message.parse(self.fetch(uid))

    def append(
        self,
        data: bytes | Message,
        flags: Iterable[str] = (),
        internal_date: _dt.datetime | float | None = None,
    ) -> MessageInfo:
        """Adds a message (IMAP APPEND); returns it with its UID."""
        raw = bytes(data) if isinstance(data, Message) else data
        m = self._native.append(self.account, self.name, raw, _flags(flags), _date(internal_date))
        return MessageInfo._from_native(m)

    def _change_flags(
        self, uids: Iterable[int], change: str, flags: Iterable[str], since: int | None
    ) -> StoreResult:
        r = self._native.store(self.account, self.name, _uids(uids), change, _flags(flags), since)
        return StoreResult([MessageInfo._from_native(m) for m in r.changed], list(r.modified))

    def add_flags(
        self, uids: Iterable[int], flags: Iterable[str], *, unchanged_since: int | None = None
    ) -> StoreResult:
        """UID STORE +FLAGS (RFC 9051 §6.4.6), with UNCHANGEDSINCE (RFC 7162)."""
        return self._change_flags(uids, "add", flags, unchanged_since)

    def remove_flags(
        self, uids: Iterable[int], flags: Iterable[str], *, unchanged_since: int | None = None
    ) -> StoreResult:
        """UID STORE -FLAGS."""
        return self._change_flags(uids, "remove", flags, unchanged_since)

    def set_flags(
        self, uids: Iterable[int], flags: Iterable[str], *, unchanged_since: int | None = None
    ) -> StoreResult:
        """UID STORE FLAGS: exactly these."""
        return self._change_flags(uids, "replace", flags, unchanged_since)

    def copy(self, uids: Iterable[int], to: str | Folder) -> CopyResult:
        """UID COPY (RFC 9051 §6.4.7): all or none; COPYUID."""
        target = to.name if isinstance(to, Folder) else to
        return _copy_result(self._native.copy(self.account, self.name, _uids(uids), target))

    def move(self, uids: Iterable[int], to: str | Folder) -> CopyResult:
        """UID MOVE (RFC 6851): a copy, then the originals are expunged."""
        target = to.name if isinstance(to, Folder) else to
        return _copy_result(self._native.move(self.account, self.name, _uids(uids), target))

    def expunge(self, uids: Iterable[int] | None = None) -> list[int]:
        """Removes the messages flagged \\Deleted (of ``uids`` only: UID EXPUNGE)."""
        return list(
            self._native.expunge(self.account, self.name, None if uids is None else _uids(uids))
        )

    def expunged_since(self, modseq: int) -> list[int]:
        """UIDs expunged after this MODSEQ (RFC 7162 VANISHED (EARLIER))."""
        return list(self._native.expunged_since(self.account, self.name, modseq))


class Account:
    """One account (an address, its domain lower-cased) and its folders."""

    def __init__(self, store: MailStore, address: str) -> None:
        self._store = store
        self.address = address

    def __repr__(self) -> str:
        return f"<mailroom.store.Account {self.address}>"

    def folders(self) -> list[FolderInfo]:
        """INBOX first, then the others by name."""
        return [
            FolderInfo(f.name, f.special_use or None)
            for f in self._store._native.list_folders(self.address)
        ]

    def folder(self, name: str) -> Folder:
        """An existing folder (``NoSuchFolder`` otherwise)."""
        self._store._native.status(self.address, name)  # checks the name and that it exists
        return Folder(self._store, self.address, _core.store.folder_name(name))

    def __getitem__(self, name: str) -> Folder:
        return self.folder(name)

    @property
    def inbox(self) -> Folder:
        return Folder(self._store, self.address, "INBOX")

    def create_folder(self, name: str) -> Folder:
        """IMAP CREATE: superior levels are made too (RFC 9051 §6.3.4)."""
        self._store._native.create_folder(self.address, name)
        return Folder(self._store, self.address, _core.store.folder_name(name))

    def delete_folder(self, name: str) -> None:
        self._store._native.delete_folder(self.address, name)

    def rename_folder(self, old: str, new: str) -> Folder:
        """IMAP RENAME: inferiors follow; renaming INBOX moves its messages."""
        self._store._native.rename_folder(self.address, old, new)
        return Folder(self._store, self.address, _core.store.folder_name(new))


class MailStore:
    """The store: ``MailStore()`` in memory, ``MailStore(path)`` as Maildir++
    (``path/<address>/`` is an account's INBOX, ``.Name`` its folders; made
    when missing, found again when it exists)."""

    def __init__(
        self,
        maildir: PathLike | None = None,
        *,
        max_messages: int = 1_000_000,
        max_bytes: int = 4 << 30,
        max_folders: int = 1000,
        max_message_size: int = 64 << 20,
    ) -> None:
        for name, value in (
            ("max_messages", max_messages),
            ("max_bytes", max_bytes),
            ("max_folders", max_folders),
            ("max_message_size", max_message_size),
        ):
            if value < 1:
                raise ValueError(f"{name} must be positive, not {value}")
        path = os.fspath(maildir) if maildir is not None else None
        self._native = _core.store.MailStore(
            path, max_messages, max_bytes, max_folders, max_message_size
        )

    _events: Any = None  # a server's store: its mailroom.events.EventStream

    @classmethod
    def _wrap(cls, native: _core.store.MailStore, events: Any = None) -> MailStore:
        self = cls.__new__(cls)
        self._native = native
        self._events = events
        return self

    @property
    def maildir(self) -> str | None:
        return self._native.maildir

    def __repr__(self) -> str:
        where = self.maildir or "memory"
        return f"<mailroom.store.MailStore {where}, {self._native.count()} messages>"

    def on_change(self, hook: Callable[[StoreChange], None] | None) -> None:
        """Calls ``hook`` after every change (one at a time per folder, in MODSEQ
        order). A server's store (``server.store``) calls it on the server's
        event dispatcher thread (``server.events``), never on a network thread;
        a store of its own calls it on the thread that made the change, and
        the hook may read the store there, not change it. An exception goes to
        ``sys.unraisablehook``. ``None`` removes it."""
        if hook is not None and not callable(hook):
            raise TypeError("the change hook must be callable")
        if self._events is not None:
            self._events._replace_store_hook(hook)
            return
        if hook is None:
            self._native.set_change_hook(None)
            return

        def native(c: _core.store.StoreChange) -> None:
            hook(
                StoreChange(
                    c.kind, c.account, c.folder, c.old_name or None, c.uid or None, c.modseq or None
                )
            )

        self._native.set_change_hook(native)

    def accounts(self) -> list[str]:
        return list(self._native.accounts())

    def account(self, address: str, *, create: bool = True) -> Account:
        """The account of an address; made (with its folders) when missing,
        unless ``create=False`` (then ``NoSuchAccount``)."""
        if create:
            return Account(self, self._native.ensure_account(address))
        self._native.list_folders(address)
        return Account(self, _core.store.normalize_mailbox(address))

    def __getitem__(self, address: str) -> Account:
        return self.account(address, create=False)

    def __len__(self) -> int:
        return int(self._native.count())

    @property
    def size(self) -> int:
        """Octets of every message of every folder."""
        return int(self._native.bytes())
