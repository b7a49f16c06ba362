"""The native IMAP client (RFC 9051 / RFC 3501): folders, search, pipelined
fetching, flags, append, copy and move, IDLE and CONDSTORE/QRESYNC changes.

    with mailroom.IMAPClient("127.0.0.1", 1143, "b@example.org", "secret") as imap:
        imap.select("INBOX")
        for msg in imap.messages():
            print(msg.uid, msg.flags, msg.subject)

TLS: ``tls="starttls"`` (STARTTLS, RFC 9051 §6.2.1) or ``tls="implicit"``
(RFC 8314: port 993), verified as the SMTP and POP3 clients do. Responses
are framed and parsed natively, literals streamed into bounded buffers, and
every network wait runs with the GIL released.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any
from urllib.parse import quote

from . import _core
from . import imap_arguments as _args
from . import imap_download as _download
from ._client_tls import TLSMode, _tls_arguments, _TLSState
from .errors import (
    IMAPAuthError,
    IMAPConnectError,
    IMAPError,
    IMAPProtocolError,
    IMAPServerDisconnected,
    IMAPTimeoutError,
)
from .imap_values import (
    FolderChanges,
    IdleEvent,
    IMAPFolder,
    IMAPFolderStatus,
    SelectedFolder,
    _role,
)
from .message import Message

__all__ = ["IMAPClient"]

_Completion = _core.imap.Completion
_FETCH_ITEMS = "(UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[])"
_RAW_SEARCH_ITEM = re.compile(r"^(?:[()]|[0-9:*,$]+)$")


class IMAPClient(_TLSState):
    """A native IMAP client. ``user``/``password`` log in at once; ``auth``
    is "plain" (AUTHENTICATE PLAIN, with SASL-IR when offered) or "login"
    (LOGIN); the default is PLAIN when the server offers AUTH=PLAIN.

    ``tls``: None or "none" (plain text), "starttls" (which the server must
    offer) or "implicit" (port 993). ``verify``, ``cafile``,
    ``server_hostname`` and ``allow_plaintext_auth`` as for SMTPClient.
    ``timeout`` bounds every wait for the server; ``max_literal`` one
    literal (a message), ``max_line`` one response line; ``max_in_flight``
    how many commands are pipelined. ``compress``: COMPRESS=DEFLATE (RFC
    4978) after login when the server offers it; it shrinks a download
    several times over for the cost of zlib on both sides, so the default
    (None) turns it on, as mbsync does, except for a server on this host,
    where it would only cost time; True or False to force. ``compressing``
    says whether it is on. ``fetch(uids, connections=n)`` downloads over
    n connections at once, logged in as this one. Failures are IMAPError and its
    subclasses (IMAPAuthError, IMAPTimeoutError, IMAPServerDisconnected,
    IMAPProtocolError, IMAPTLSError...).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int | None = None,
        user: str | None = None,
        password: str | None = None,
        *,
        auth: str | None = None,
        tls: TLSMode | str | None = None,
        verify: bool = True,
        cafile: str | os.PathLike[str] | None = None,
        server_hostname: str | None = None,
        allow_plaintext_auth: bool | None = None,
        timeout: float = 60.0,
        connect_timeout: float = 30.0,
        max_literal: int = 64 * 1024 * 1024,
        max_line: int = 64 * 1024,
        max_in_flight: int = 32,
        compress: bool | None = None,
        transcript: bool = True,
        max_transcript_bytes: int = 64 * 1024,
    ) -> None:
        if tls == "none":
            tls = None
        tls_args = _tls_arguments(tls, verify, cafile, server_hostname, allow_plaintext_auth)
        if user is None and password is not None:
            raise ValueError("a password without a user")
        if port is None:
            port = 993 if tls == "implicit" else 143
        self.host, self.port = host, port
        self.user: str | None = None
        self.selected: SelectedFolder | None = None
        self._qresync = False
        self._implicit_tls = tls == "implicit"
        self._compress = compress
        # What another connection to the same account needs (fetch's
        # ``connections``): these options, and the login once it succeeded.
        self._sibling_options: dict[str, Any] = {
            "tls": tls,
            "verify": verify,
            "cafile": cafile,
            "server_hostname": server_hostname,
            "allow_plaintext_auth": allow_plaintext_auth,
            "timeout": timeout,
            "connect_timeout": connect_timeout,
            "max_literal": max_literal,
            "max_line": max_line,
            "max_in_flight": max_in_flight,
            "compress": compress,
            "transcript": transcript,
            "max_transcript_bytes": max_transcript_bytes,
        }
        self._credentials: tuple[str, str, str] | None = None
        self._siblings: list[IMAPClient] = []
        self._native = _core.imap.ImapClient(
            host=host,
            port=port,
            timeout=timeout,
            connect_timeout=connect_timeout,
            max_transcript_bytes=max_transcript_bytes if transcript else 0,
            max_literal=max_literal,
            max_line=max_line,
            max_in_flight=max_in_flight,
            **tls_args,
        )
        with _args.imap_failures():
            greeting = self._native.connect()
        if greeting.status == "BYE":
            self._native.close()
            raise IMAPConnectError(f"server refused the session: {greeting.text}", "BYE")
        self.greeting = str(self._native.greeting)
        if user is not None:
            try:
                self.login(user, password or "", auth=auth)
            except BaseException:
                self._native.close()
                raise

    # -- commands ----------------------------------------------------------------

    def _queue(self, name: str, *args: tuple[str, str | bytes]) -> int:
        native_args = [(k, v.encode() if isinstance(v, str) else bytes(v)) for k, v in args]
        with _args.imap_failures():
            return int(self._native.command(name, native_args))

    def _wait(self, ident: int, what: str | None = None) -> _Completion:
        with _args.imap_failures():
            c: _Completion = self._native.wait(ident)
        return _args.checked(c, what)

    def _run(self, name: str, *args: tuple[str, str | bytes]) -> _Completion:
        return self._wait(self._queue(name, *args))

    def _need_selected(self) -> SelectedFolder:
        if self.selected is None:
            raise IMAPError("no folder is selected: call select(folder) first")
        return self.selected

    @property
    def capabilities(self) -> list[str]:
        """The server's CAPABILITY list, upper-cased (asked again after
        STARTTLS and login)."""
        return list(self._native.capabilities)

    def has_capability(self, name: str) -> bool:
        return bool(self._native.has_capability(name))

    def capability(self) -> list[str]:
        """Asks CAPABILITY again."""
        self._run("CAPABILITY")
        return self.capabilities

    def login(self, user: str, password: str, *, auth: str | None = None) -> None:
        """Log in; IMAPAuthError when refused (``code`` often
        "AUTHENTICATIONFAILED", RFC 5530) or when the password would travel
        outside TLS and that is not allowed."""
        for value, what in ((user, "user"), (password, "password")):
            if any(c in value for c in "\r\n\0"):
                raise ValueError(f"CR, LF or NUL in the {what}")
        if auth is None:
            auth = "plain" if self.has_capability("AUTH=PLAIN") else "login"
        if auth not in ("plain", "login"):
            raise ValueError("auth must be 'plain' or 'login'")
        if auth == "login" and self.has_capability("LOGINDISABLED"):
            raise IMAPAuthError("the server refuses LOGIN here (LOGINDISABLED): use TLS")
        with _args.imap_failures():
            if auth == "plain":
                ident = self._native.authenticate_plain(user, password)
            else:
                ident = self._native.login(user, password)
        try:
            c = self._wait(ident, "login")
        except (IMAPServerDisconnected, IMAPTimeoutError, IMAPProtocolError):
            raise
        except IMAPError as e:
            raise IMAPAuthError(str(e), e.status, e.code, e.command) from None
        self.user = user
        self._credentials = (user, password, auth)
        if c.code.name != "CAPABILITY":
            self._run("CAPABILITY")  # RFC 9051 §6.2.3: they may change
        if self.has_capability("QRESYNC"):  # RFC 7162 §3.2.3
            self._run("ENABLE", ("raw", "QRESYNC"))
            self._qresync = True
        elif self.has_capability("CONDSTORE"):
            self._run("ENABLE", ("raw", "CONDSTORE"))
        compress = self._compress
        if compress is None:
            compress = not self._native.peer_is_loopback
        if compress and self.has_capability("COMPRESS=DEFLATE"):
            self.compress()

    def compress(self) -> None:
        """COMPRESS=DEFLATE (RFC 4978): from now on every byte both ways is
        raw DEFLATE, inside TLS when there is TLS (§4). ``login()`` does it
        by itself when the server offers it, as ``compress`` says; calling
        it again once active does nothing."""
        if self.compressing:
            return
        with _args.imap_failures():
            c = self._native.compress()
        if c.code.name == "COMPRESSIONACTIVE":  # RFC 5530: already on
            return
        _args.checked(c, "compress")

    @property
    def compressing(self) -> bool:
        """Whether COMPRESS=DEFLATE is active."""
        return bool(self._native.compressing)

    def noop(self) -> None:
        self._run("NOOP")

    # -- folders -----------------------------------------------------------------

    def list_folders(self, pattern: str = "*", reference: str = "") -> list[IMAPFolder]:
        """LIST (RFC 9051 §6.3.9) with the special-use roles (RFC 6154)."""
        c = self._run("LIST", ("mailbox", reference), ("mailbox", pattern))
        out = []
        for u in c.untagged:
            if u.kind == "LIST":
                entry = u.list
                attributes = list(entry.attributes)
                out.append(
                    IMAPFolder(
                        entry.name, entry.delimiter, attributes, _role(entry.name, attributes)
                    )
                )
        return out

    def status(self, folder: str) -> IMAPFolderStatus:
        """STATUS: messages, UIDNEXT, UIDVALIDITY, unseen (and HIGHESTMODSEQ
        with CONDSTORE, SIZE with STATUS=SIZE)."""
        items = ["MESSAGES", "UIDNEXT", "UIDVALIDITY", "UNSEEN"]
        if self.has_capability("CONDSTORE") or self.has_capability("QRESYNC"):
            items.append("HIGHESTMODSEQ")
        if self.has_capability("STATUS=SIZE"):
            items.append("SIZE")
        c = self._run("STATUS", ("mailbox", folder), ("raw", "(" + " ".join(items) + ")"))
        found: dict[str, int] = {}
        for u in c.untagged:
            if u.kind == "STATUS":
                found.update(u.status)
        return IMAPFolderStatus(
            folder,
            messages=_args.status_number(found, "MESSAGES"),
            uidnext=_args.status_number(found, "UIDNEXT"),
            uidvalidity=_args.status_number(found, "UIDVALIDITY"),
            unseen=_args.status_number(found, "UNSEEN"),
            recent=_args.status_number(found, "RECENT"),
            size=_args.status_number(found, "SIZE"),
            highest_modseq=_args.status_number(found, "HIGHESTMODSEQ"),
        )

    def create_folder(self, folder: str) -> None:
        self._run("CREATE", ("mailbox", folder))

    def delete_folder(self, folder: str) -> None:
        self._run("DELETE", ("mailbox", folder))

    def select(self, folder: str = "INBOX", readonly: bool = False) -> SelectedFolder:
        """SELECT (or EXAMINE with ``readonly=True``); IMAPError (``code``
        "NONEXISTENT" and the like) when the server says NO."""
        self.selected = None
        command = "EXAMINE" if readonly else "SELECT"
        c = self._wait(self._queue(command, ("mailbox", folder)), f"{command} {folder!r}")
        sel = SelectedFolder(folder, readonly or c.code.name == "READ-ONLY")
        for u in c.untagged:
            if u.kind == "EXISTS":
                sel.exists = int(u.number)
            elif u.kind == "FLAGS":
                sel.flags = list(u.words)
            elif u.kind == "OK" and u.code.argument:
                name, arg = u.code.name, u.code.argument
                if name == "UIDVALIDITY" and arg.isdigit():
                    sel.uidvalidity = int(arg)
                elif name == "UIDNEXT" and arg.isdigit():
                    sel.uidnext = int(arg)
                elif name == "HIGHESTMODSEQ" and arg.isdigit():
                    sel.highest_modseq = int(arg)
                elif name == "PERMANENTFLAGS":
                    sel.permanent_flags = arg.strip("()").split()
        self.selected = sel
        return sel

    def unselect(self) -> None:
        """Leave the folder without expunging (UNSELECT, RFC 3691; else CLOSE)."""
        self._run("UNSELECT" if self.has_capability("UNSELECT") else "CLOSE")
        self.selected = None

    # -- messages ----------------------------------------------------------------

    def search(self, criteria: str | Sequence[str] = "ALL") -> list[int]:
        """UID SEARCH on the server (RFC 9051 §6.4.4): the UIDs, ascending.
        A string is sent as written (ASCII); a sequence is one item a
        search key or value: keys and sequence sets as atoms, values quoted
        or as literals, in UTF-8 (CHARSET UTF-8) when they are not ASCII."""
        self._need_selected()
        if isinstance(criteria, str):
            if not criteria.isascii() or any(c in criteria for c in "\r\n\0"):
                raise ValueError("a search string is ASCII: give a list for UTF-8 values")
            args: list[tuple[str, str | bytes]] = [("raw", criteria)]
        else:
            items = list(criteria)
            if not items:
                raise ValueError("empty search criteria")
            args = []
            if not all(i.isascii() for i in items):
                args += [("raw", "CHARSET"), ("raw", "UTF-8")]
            for i in items:
                args.append(("raw", i) if _RAW_SEARCH_ITEM.match(i) else ("string", i))
        c = self._run("UID SEARCH", *args)
        found: set[int] = set()
        for u in c.untagged:
            if u.kind in ("SEARCH", "ESEARCH"):
                found.update(u.numbers)
        return sorted(found)

    def _message(self, f: Any, core: Any, folder: str, source: str) -> Message:
        msg = Message(core)
        msg.uid = int(f.uid) or None
        msg.folder = folder
        msg.flags = list(f.flags) if f.flags is not None else None
        if f.internal_date is not None:
            msg.internal_date = _dt.datetime.fromtimestamp(f.internal_date, _dt.timezone.utc)
        msg.source = source
        return msg

    def url(self, folder: str | None = None) -> str:
        """imap://user@host:port/FOLDER (never a password)."""
        scheme = "imaps" if self._implicit_tls else "imap"
        user = quote(self.user, safe="") + "@" if self.user else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{user}{host}:{self.port}/{quote(folder or '', safe='/')}"

    def fetch(
        self,
        uids: int | Iterable[int],
        *,
        batch: int = 200,
        threads: int = 0,
        connections: int | None = 1,
    ) -> Iterator[Message]:
        """The messages of the selected folder with these UIDs, batch after
        batch as ``uids`` orders them, as Messages with ``uid``, ``flags``, ``internal_date``,
        ``folder`` and ``source``: UID FETCH in batches of ``batch`` UIDs,
        all of them pipelined, each batch parsed on native threads. Bodies
        are read with BODY.PEEK[] (\\Seen stays as it was). UIDs the server
        no longer has are skipped.

        ``connections`` (1 to MAX_FETCH_CONNECTIONS; None:
        DEFAULT_FETCH_CONNECTIONS, which is one): with more than one,
        other connections log in to the same account, EXAMINE the folder
        and take every n-th batch, so a server that runs a process per
        connection (Dovecot) works on several batches at once; the
        messages still come in order. They stay open for the next fetch
        until logout() or close(). A server that refuses another connection
        (a per-user limit) leaves the download with the ones it took."""
        sel = self._need_selected()
        wanted = _args.uid_list(uids)
        if not isinstance(batch, int) or isinstance(batch, bool) or batch < 1:
            raise ValueError("batch must be a positive int")
        _download.check_fetch_connections(connections)
        if connections is None:
            connections = _download.DEFAULT_FETCH_CONNECTIONS
        wanted = list(dict.fromkeys(wanted))
        if not wanted:
            return iter(())
        batches = [wanted[i : i + batch] for i in range(0, len(wanted), batch)]
        sessions = [self, *_download.siblings(self, sel, min(connections, len(batches)) - 1)]
        n = len(sessions)
        # Batch j goes to session j % n: each session's UIDs, in order, are
        # its batches one after another, which queue_uid_fetch cuts again
        # at the same places.
        ids = []
        for k, session in enumerate(sessions):
            mine = [u for part in batches[k::n] for u in part]
            with _args.imap_failures():
                ids.append(list(session._native.queue_uid_fetch(mine, _FETCH_ITEMS, batch)))
        return _download.fetched(self, sessions, ids, batches, sel.name, threads)

    @property
    def fetch_connections(self) -> int:
        """The connections fetch() has open: this one and the others that
        ``connections`` opened (kept until logout() or close())."""
        return 1 + len(self._siblings)

    def _close_siblings(self) -> None:
        siblings, self._siblings = self._siblings, []
        for sibling in siblings:
            sibling.close()

    def messages(
        self,
        criteria: str | Sequence[str] = "ALL",
        *,
        batch: int = 200,
        connections: int | None = 1,
    ) -> Iterator[Message]:
        """The messages of the selected folder that match ``criteria``."""
        return self.fetch(self.search(criteria), batch=batch, connections=connections)

    def fetch_flags(self, uids: int | Iterable[int] | str = "1:*") -> dict[int, list[str]]:
        """{uid: flags} of the selected folder."""
        self._need_selected()
        uid_set = uids if isinstance(uids, str) else _args.uid_set(uids)
        c = self._run("UID FETCH", ("raw", uid_set), ("raw", "(UID FLAGS)"))
        return {
            int(u.fetch.uid): list(u.fetch.flags or [])
            for u in c.untagged
            if u.kind == "FETCH" and u.fetch.uid
        }

    def _store(self, uids: int | Iterable[int], how: str, flags: Iterable[str]) -> None:
        self._need_selected()
        self._run(
            "UID STORE",
            ("raw", _args.uid_set(uids)),
            ("raw", how + ".SILENT"),
            ("raw", _args.flag_list(flags)),
        )

    def set_flags(self, uids: int | Iterable[int], flags: Iterable[str]) -> None:
        """Replace the flags of these messages (UID STORE FLAGS.SILENT)."""
        self._store(uids, "FLAGS", flags)

    def add_flags(self, uids: int | Iterable[int], flags: Iterable[str]) -> None:
        self._store(uids, "+FLAGS", flags)

    def remove_flags(self, uids: int | Iterable[int], flags: Iterable[str]) -> None:
        self._store(uids, "-FLAGS", flags)

    def append(
        self,
        folder: str,
        message: Message | bytes,
        flags: Iterable[str] = (),
        date: _dt.datetime | None = None,
    ) -> int | None:
        """APPEND (RFC 9051 §6.3.12); the new UID when the server says it
        (APPENDUID, RFC 4315), else None."""
        data = bytes(message)
        if b"\0" in data:
            raise ValueError("a message with NUL octets cannot be appended as a literal")
        args: list[tuple[str, str | bytes]] = [("mailbox", folder)]
        flag_text = _args.flag_list(flags)
        if flag_text != "()":
            args.append(("raw", flag_text))
        when = _args.date_time_text(date)
        if when is not None:
            args.append(("raw", when))
        args.append(("literal", data))
        c = self._run("APPEND", *args)
        if c.code.name == "APPENDUID":
            parts = c.code.argument.split()
            if len(parts) == 2 and parts[1].isdigit():
                return int(parts[1])
        return None

    def copy(self, uids: int | Iterable[int], folder: str) -> None:
        """UID COPY to ``folder``."""
        self._need_selected()
        self._run("UID COPY", ("raw", _args.uid_set(uids)), ("mailbox", folder))

    def move(self, uids: int | Iterable[int], folder: str) -> None:
        """UID MOVE (RFC 6851), or without it COPY, \\Deleted and expunge of
        these UIDs (UID EXPUNGE with UIDPLUS; else EXPUNGE, which also
        removes other messages already marked \\Deleted)."""
        self._need_selected()
        uid_set = _args.uid_set(uids)
        if self.has_capability("MOVE"):
            self._run("UID MOVE", ("raw", uid_set), ("mailbox", folder))
            return
        self._run("UID COPY", ("raw", uid_set), ("mailbox", folder))
        self._store(uids, "+FLAGS", ["\\Deleted"])
        self.expunge(uids)

    def expunge(self, uids: int | Iterable[int] | None = None) -> list[int]:
        """Remove the messages marked \\Deleted (only these UIDs, with
        UIDPLUS, when given); the sequence numbers or UIDs the server
        reported gone."""
        self._need_selected()
        if uids is not None and self.has_capability("UIDPLUS"):
            c = self._run("UID EXPUNGE", ("raw", _args.uid_set(uids)))
        else:
            c = self._run("EXPUNGE")
        gone: list[int] = []
        for u in c.untagged:
            if u.kind == "EXPUNGE":
                gone.append(int(u.number))
            elif u.kind == "VANISHED":
                gone.extend(u.numbers)
        return gone

    def changes_since(self, modseq: int) -> FolderChanges:
        """What changed in the selected folder since ``modseq`` (RFC 7162):
        UID FETCH FLAGS with CHANGEDSINCE, and the expunged UIDs (VANISHED)
        when the server has QRESYNC."""
        sel = self._need_selected()
        if not (self.has_capability("CONDSTORE") or self._qresync):
            raise IMAPError("the server does not offer CONDSTORE (RFC 7162)")
        if not isinstance(modseq, int) or modseq < 0:
            raise ValueError("modseq is an int >= 0")
        modifier = f"(CHANGEDSINCE {modseq}" + (" VANISHED)" if self._qresync else ")")
        c = self._run("UID FETCH", ("raw", "1:*"), ("raw", "(UID FLAGS MODSEQ)"), ("raw", modifier))
        flags: dict[int, list[str]] = {}
        modseqs: dict[int, int] = {}
        vanished: list[int] = []
        for u in c.untagged:
            if u.kind == "FETCH" and u.fetch.uid:
                flags[int(u.fetch.uid)] = list(u.fetch.flags or [])
                modseqs[int(u.fetch.uid)] = int(u.fetch.modseq)
            elif u.kind == "VANISHED":
                vanished.extend(u.numbers)
        now = self.status(sel.name).highest_modseq
        return FolderChanges(flags, modseqs, sorted(vanished), now)

    def idle(self, timeout: float = 29 * 60) -> Iterator[IdleEvent]:
        """IDLE (RFC 2177): the server's news as it comes (new messages,
        expunges, flag changes), until ``timeout`` seconds pass without any
        (RFC 2177 asks clients to end IDLE within 29 minutes); closing the
        iterator ends IDLE too."""
        self._need_selected()
        if not self.has_capability("IDLE"):
            raise IMAPError("the server does not offer IDLE (RFC 2177)")
        if not timeout > 0:
            raise ValueError("timeout must be positive")
        return self._idle_events(timeout)

    def _idle_events(self, timeout: float) -> Iterator[IdleEvent]:
        # IDLE starts at the first next(), and ends with the iterator.
        with _args.imap_failures():
            refused = self._native.idle_start()
        if refused is not None:
            raise IMAPError(f"IDLE failed: {refused.status} {refused.text}", refused.status)
        try:
            while True:
                with _args.imap_failures():
                    news = self._native.idle_next(timeout)
                if not news:
                    return
                for u in news:
                    event = _args.idle_event(u)
                    if event is not None:
                        yield event
        finally:
            if self._native.connected:
                with _args.imap_failures():
                    self._native.idle_stop()

    # -- the end -----------------------------------------------------------------

    def logout(self) -> None:
        """LOGOUT, then close the connection."""
        siblings, self._siblings = self._siblings, []
        try:
            for sibling in siblings:
                with contextlib.suppress(IMAPError):
                    sibling.logout()
            if self._native.connected:
                with contextlib.suppress(IMAPServerDisconnected):
                    self._run("LOGOUT")
        finally:
            for sibling in siblings:
                sibling.close()
            self._native.close()
            self.selected = None

    def close(self) -> None:
        """Close the connection (and fetch's other ones) without LOGOUT."""
        self._close_siblings()
        self._native.close()

    def __enter__(self) -> IMAPClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.logout()

    @property
    def transcript(self) -> str:
        """The session as "C: ..."/"S: ..." lines (passwords hidden, literals
        as their sizes), capped at ``max_transcript_bytes``."""
        return str(self._native.transcript)

    def __repr__(self) -> str:
        who = f" {self.user}" if self.user else ""
        return f"<mailroom.IMAPClient {self.host}:{self.port}{who} {self._state()}>"
