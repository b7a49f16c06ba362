"""mailroom.Server: a native SMTP server that keeps what it receives.

    with mailroom.Server() as server:
        smtplib.SMTP(server.host, server.smtp_port).sendmail(...)
        msg = server.wait_for(to="bob@example.org")

The server runs on native threads (Boost.Asio); the GIL is taken only to call
Python hooks, which run off the network threads: a slow hook holds up only
the session waiting for it.
"""

from __future__ import annotations

import datetime as _dt
import ipaddress
import os
import re
import ssl
import tempfile
import threading
import time
import warnings
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Callable, Optional

from . import _core
from .events import EventStream
from .message import Address, Message, _mailbox
from .queue import Clock, Queue
from .store import Account, MailStore, NoSuchAccount, NoSuchFolder, NoSuchMessage, StoreChange

__all__ = ["Envelope", "ImapReplyRule", "ReplyRule", "Server", "Session"]

MessageHook = Callable[[Message], Optional[tuple[int, str]]]


@dataclass(frozen=True)
class Envelope:
    """The SMTP envelope a message came with (RFC 5321 §2.3.1)."""

    mail_from: str
    rcpt_to: list[str]
    peer: str
    received_at: _dt.datetime
    # DSN parameters (RFC 3461): RET and the decoded ENVID, each recipient's
    # NOTIFY keywords and ORCPT ("rfc822;bob@example.org"), for those that gave them.
    ret: str | None = None
    envid: str | None = None
    notify: dict[str, tuple[str, ...]] = field(default_factory=dict)
    orcpt: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Session:
    """One SMTP session: who connected and, with transcripts on, what was said."""

    id: int
    peer: str
    transcript: str
    truncated: bool
    started_at: _dt.datetime
    ended_at: _dt.datetime | None
    messages: int
    protocol: str = "smtp"

    def __str__(self) -> str:
        return self.transcript


@dataclass
class ReplyRule:
    """A reply the server gives on purpose; ``remove()`` takes it back."""

    id: int
    stage: str
    sender: str
    recipient: str
    code: int
    text: str
    delay: float
    disconnect: bool
    times: int | None
    close: bool = False
    _server: Server | None = field(default=None, repr=False, compare=False)

    def remove(self) -> None:
        if self._server is not None:
            self._server._native.remove_rule(self.id)


@dataclass
class ImapReplyRule:
    """An IMAP reply the server gives on purpose; ``remove()`` takes it back."""

    id: int
    status: str
    command: str
    text: str
    delay: float
    disconnect: bool
    times: int | None
    _server: Server | None = field(default=None, repr=False, compare=False)

    def remove(self) -> None:
        if self._server is not None:
            self._server._native.remove_imap_reply(self.id)


def _ts(value: float) -> _dt.datetime:
    return _dt.datetime.fromtimestamp(value, tz=_dt.timezone.utc)


def _envelope(env: _core.store.Envelope) -> Envelope:
    """An Envelope from the store's: RET/ENVID, and NOTIFY and ORCPT per recipient."""
    rcpts = list(env.rcpt_to)
    rcpt_dsn = env.rcpt_dsn
    return Envelope(
        env.mail_from,
        rcpts,
        env.peer,
        _ts(env.received_at),
        env.dsn.ret,
        env.dsn.envid,
        {r: tuple(d.notify) for r, d in zip(rcpts, rcpt_dsn) if d.notify},
        {r: f"{d.orcpt_type};{d.orcpt}" for r, d in zip(rcpts, rcpt_dsn) if d.orcpt_type},
    )


def _tls_setting(tls: object) -> tuple[str, str, bool]:
    """``tls`` as (certfile, keyfile, auto)."""
    if tls is None:
        return "", "", False
    if tls == "auto":
        return "", "", True
    if isinstance(tls, tuple) and len(tls) == 2:
        cert, key = (os.fspath(x) for x in tls)
        for path in (cert, key):
            if not os.path.isfile(path):
                raise ValueError(f"TLS file not found: {path!r}")
        return str(cert), str(key), False
    raise ValueError(f'tls must be None, "auto" or (certfile, keyfile), got {tls!r}')


def _remove_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


class Server:
    """A native SMTP server for tests, scripts and notebooks.

    Port 0 picks a free port (``server.smtp_port`` after ``start()``). With no
    ``domains`` every recipient is accepted; with ``domains`` others get
    550 5.7.1. With ``maildir`` mail is written to one Maildir per address
    (and found again after a restart); otherwise it is kept in memory. The
    store is bounded (``max_stored_messages`` copies, ``max_stored_bytes``):
    past either, messages get 452 4.3.1 until ``clear()`` makes room.
    ``pop3_port`` and ``imap_port`` (``imaps_port``: implicit TLS) also serve
    POP3 and IMAP; an IMAP client silent for ``imap_autologout`` seconds (30
    minutes, RFC 9051 §5.4, IDLE included) is logged out, others after
    ``idle_timeout``.

    ``http_port`` (``https_port``: TLS) serves Mailpit's REST API, the live
    events and the web client. Without ``users`` (test mode) every mailbox is
    visible, and only on a loopback address unless ``public_http=True`` (which
    warns). With ``users`` the browser logs in at ``/login`` and each user
    sees only their own account; REST clients use HTTP basic auth or
    ``Authorization: Bearer TOKEN`` with ``http_tokens={TOKEN: address}``.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        smtp_port: int = 0,
        maildir: str | os.PathLike[str] | None = None,
        domains: Iterable[str] | None = None,
        *,
        hostname: str | None = None,
        max_message_size: int = 32 * 1024 * 1024,
        max_recipients: int = 1000,
        max_line_length: int = 1000,
        reject_long_lines: bool = False,
        max_errors: int = 10,
        max_connections: int = 1000,
        idle_timeout: float = 300.0,
        threads: int = 0,
        transcripts: bool = True,
        max_transcript_bytes: int = 64 * 1024,
        max_sessions: int = 1000,
        smtputf8: bool = True,
        chunking: bool = True,
        pipelining: bool = True,
        eightbitmime: bool = True,
        vrfy: bool = False,
        dsn: bool = True,
        max_connections_per_ip: int | None = None,
        stress_idle_timeout: float = 10.0,
        min_data_rate: int = 500,
        pop3_port: int | None = None,
        users: dict[str, str] | Callable[[str, str], bool] | None = None,
        apop: bool = False,
        tls: str | tuple[str | os.PathLike[str], str | os.PathLike[str]] | None = None,
        tls_handshake_timeout: float = 10.0,
        smtps_port: int | None = None,
        submission_port: int | None = None,
        pop3s_port: int | None = None,
        imap_port: int | None = None,
        imaps_port: int | None = None,
        imap_autologout: float = 1800.0,
        allow_plaintext_auth: bool | None = None,
        auth_required: bool = False,
        require_tls: bool = False,
        auth_failure_delay: float = 0.5,
        max_stored_messages: int = 1_000_000,
        max_stored_bytes: int = 4 * 1024**3,
        relay: bool = False,
        routes: dict[str, str] | None = None,
        relay_networks: Iterable[str] | None = None,
        spool: str | os.PathLike[str] | None = None,
        retry_interval: float = 1800.0,
        retry_backoff: bool = False,
        max_retry_interval: float = 4 * 3600.0,
        max_queue_lifetime: float = 5 * 86400.0,
        delay_warning: float | None = None,
        max_deliveries: int = 16,
        max_deliveries_per_destination: int = 4,
        max_queue_entries: int = 100_000,
        max_received: int = 100,
        delivery_timeout: float = 300.0,
        delivery_tls: str = "may",
        clock: str = "real",
        postmaster: str | None = None,
        http_port: int | None = None,
        https_port: int | None = None,
        http_tokens: dict[str, str] | None = None,
        public_http: bool = False,
    ) -> None:
        if isinstance(domains, str):
            domains = [domains]
        for name, value in (
            ("max_message_size", max_message_size),
            ("max_recipients", max_recipients),
            ("max_sessions", max_sessions),
            ("max_stored_messages", max_stored_messages),
            ("max_stored_bytes", max_stored_bytes),
        ):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        rate = min_data_rate
        if not isinstance(rate, int) or isinstance(rate, bool) or rate < 0:
            raise ValueError(f"min_data_rate must be an int >= 0 (bytes/s), got {min_data_rate!r}")
        # Ports, TLS modes and timeouts are checked by the native server.
        tls_cert, tls_key, tls_auto = _tls_setting(tls)
        password_check: Callable[[str, str], bool] | None = None
        if callable(users):
            password_check, users = users, None
        elif users is not None:
            if not isinstance(users, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in users.items()
            ):
                raise TypeError(
                    "users must be a dict of address -> password (str -> str) "
                    "or a callable (user, password) -> bool"
                )
            for k, v in users.items():
                if any(c in k + v for c in "\r\n\0"):
                    raise ValueError(f"CR, LF or NUL in the account {k!r}")
        self._native = _core.server.SmtpServer(
            host=host,
            smtp_port=smtp_port,
            maildir=os.fspath(maildir) if maildir is not None else "",
            domains=[d.lower() for d in (domains or [])],
            hostname=hostname or "",
            max_message_size=max_message_size,
            max_recipients=max_recipients,
            max_line_length=max_line_length,
            reject_long_lines=reject_long_lines,
            max_errors=max_errors,
            max_connections=max_connections,
            idle_timeout=float(idle_timeout),
            threads=threads,
            max_transcript_bytes=max_transcript_bytes if transcripts else 0,
            max_transcripts=max_sessions,
            smtputf8=smtputf8,
            chunking=chunking,
            pipelining=pipelining,
            eightbitmime=eightbitmime,
            vrfy=vrfy,
            dsn=dsn,
            max_connections_per_ip=-1 if max_connections_per_ip is None else max_connections_per_ip,
            stress_idle_timeout=float(stress_idle_timeout),
            min_data_rate=min_data_rate,
            pop3_port=-1 if pop3_port is None else pop3_port,
            users=dict(users) if users is not None else None,
            apop=apop,
            auth_failure_delay=float(auth_failure_delay),
            max_stored_messages=max_stored_messages,
            max_stored_bytes=max_stored_bytes,
            postmaster=_mailbox(postmaster, "postmaster")[1] if postmaster else "",
        )
        for note in self._native.store.open_notes:
            warnings.warn(f"Maildir {maildir!r}: {note}", stacklevel=2)
        if self._native.stale_tmp_removed:
            warnings.warn(
                f"removed {self._native.stale_tmp_removed} file(s) older than 36 hours from the "
                f"Maildirs' tmp/ folders under {maildir!r} (deliveries a crash "
                "cut short; none of them had been acknowledged)",
                stacklevel=2,
            )
        self._native.configure_security(
            tls_cert=tls_cert,
            tls_key=tls_key,
            tls_auto=tls_auto,
            tls_handshake_timeout=float(tls_handshake_timeout),
            smtps_port=-1 if smtps_port is None else smtps_port,
            submission_port=-1 if submission_port is None else submission_port,
            pop3s_port=-1 if pop3s_port is None else pop3s_port,
            allow_plaintext_auth=allow_plaintext_auth,
            auth_required=bool(auth_required),
            require_tls=bool(require_tls),
            password_check=password_check,
        )
        if imap_port is not None or imaps_port is not None:
            self._native.configure_imap(
                imap_port=-1 if imap_port is None else imap_port,
                imaps_port=-1 if imaps_port is None else imaps_port,
                autologout=float(imap_autologout),
            )
        # HTTP: Mailpit's REST API, live events and the web client; with users,
        # behind logins (sessions, basic auth, the bearer tokens given here).
        tokens = _http_tokens(http_tokens)
        if public_http and users is None and password_check is None and not _is_loopback(host):
            warnings.warn(
                f"public_http=True without users: HTTP on {host} shows every mailbox to "
                "whoever reaches it (test mode); give users={address: password} for logins",
                stacklevel=2,
            )
        self._native.configure_http(
            http_port=-1 if http_port is None else http_port,
            https_port=-1 if https_port is None else https_port,
            version=str(_core.__version__),
            web_root=os.path.join(os.path.dirname(os.path.abspath(__file__)), "web"),
            public_http=bool(public_http),
            tokens=tokens,
        )
        if clock not in ("real", "manual"):
            raise ValueError(f'clock must be "real" or "manual", not {clock!r}')
        if routes is not None and not (
            isinstance(routes, dict)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in routes.items())
        ):
            raise TypeError('routes must be a dict of domain -> "host:port" (str -> str)')
        if isinstance(relay_networks, str):
            relay_networks = [relay_networks]
        for name, value in (
            ("max_deliveries", max_deliveries),
            ("max_deliveries_per_destination", max_deliveries_per_destination),
            ("max_queue_entries", max_queue_entries),
            ("max_received", max_received),
        ):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if spool is not None and not (relay or routes):
            raise ValueError("spool= keeps the outgoing queue: give routes= or relay=True")
        self._native.configure_queue(
            relay=bool(relay),
            routes={k.lower(): v for k, v in (routes or {}).items()},
            relay_networks=list(
                relay_networks if relay_networks is not None else ["127.0.0.0/8", "::1/128"]
            ),
            spool=os.fspath(spool) if spool is not None else "",
            retry_interval=float(retry_interval),
            retry_backoff=bool(retry_backoff),
            max_retry_interval=float(max_retry_interval),
            max_lifetime=float(max_queue_lifetime),
            delay_warning=float(delay_warning or 0.0),
            max_deliveries=max_deliveries,
            max_per_destination=max_deliveries_per_destination,
            max_entries=max_queue_entries,
            max_received=max_received,
            command_timeout=float(delivery_timeout),
            delivery_tls=delivery_tls,
            manual_clock=clock == "manual",
        )
        self.spool = os.fspath(spool) if spool is not None else None
        # Store, session and queue events, handed to Python subscribers on one
        # dispatcher thread (mailroom.events).
        self.events = EventStream(self._native)
        self.queue = Queue(self._native, self.events)
        self.clock = Clock(self._native)
        self._tls_ca_file: str | None = None
        self.maildir = os.fspath(maildir) if maildir is not None else None
        self.domains = [d.lower() for d in (domains or [])]
        # Parsed messages by seq, while anyone holds them: the store keeps the
        # bytes, so a second strong copy of every message is not kept here.
        self._cache: weakref.WeakValueDictionary[int, Message] = weakref.WeakValueDictionary()
        self._cache_lock = threading.Lock()
        self._hooks: list[MessageHook] = []

    # -- life cycle ----------------------------------------------------------------
    def start(self) -> Server:
        """Bind and serve. Raises OSError (port taken) or ValueError (bad host)."""
        self._native.start()
        self.events._started()
        return self

    def stop(self) -> None:
        """Close the listener and every session. Mail already stored stays.
        Event subscribers get what was published before, then pause."""
        self._native.stop()
        self.events._stopped()

    def __enter__(self) -> Server:
        # `with Server(...).start() as s:` works too.
        return self if self.running else self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __del__(self) -> None:
        native = getattr(self, "_native", None)
        if native is not None and native.running:
            native.stop()

    @property
    def running(self) -> bool:
        return bool(self._native.running)

    @property
    def host(self) -> str:
        return str(self._native.host)

    @property
    def smtp_port(self) -> int:
        """The port SMTP listens on (the one picked when 0 was asked)."""
        return int(self._native.smtp_port)

    @property
    def smtp_address(self) -> tuple[str, int]:
        return self.host, self.smtp_port

    @property
    def smtps_port(self) -> int | None:
        """The implicit-TLS SMTP port (RFC 8314), or None when off."""
        return int(self._native.smtps_port) or None

    @property
    def submission_port(self) -> int | None:
        """The submission port (AUTH required before MAIL), or None when off."""
        return int(self._native.submission_port) or None

    @property
    def pop3s_port(self) -> int | None:
        """The implicit-TLS POP3 port (RFC 8314), or None when off."""
        return int(self._native.pop3s_port) or None

    @property
    def tls_ca_pem(self) -> str | None:
        """With ``tls="auto"``: the throwaway CA that signed the server's
        certificate, as PEM, for clients to trust (after ``start()``)."""
        return str(self._native.tls_ca_pem) or None

    @property
    def tls_certificate_pem(self) -> str | None:
        """With ``tls="auto"``: the certificate chain the server presents."""
        return str(self._native.tls_certificate_pem) or None

    @property
    def tls_ca_file(self) -> str | None:
        """``tls_ca_pem`` in a file, for ``ssl.create_default_context(cafile=...)``,
        ``swaks --tls-ca-path``, ``curl --cacert``. Removed when the server is
        collected or the interpreter exits."""
        pem = self.tls_ca_pem
        if pem is None:
            return None
        if self._tls_ca_file is None or not os.path.exists(self._tls_ca_file):
            fd, path = tempfile.mkstemp(prefix="mailroom-ca-", suffix=".pem")
            with os.fdopen(fd, "w") as f:
                f.write(pem)
            self._tls_ca_file = path
            weakref.finalize(self, _remove_quietly, path)
        return self._tls_ca_file

    def ssl_context(self) -> ssl.SSLContext:
        """A client-side ``ssl.SSLContext`` that trusts this server's throwaway
        CA (``tls="auto"``): for smtplib, poplib, imaplib, urllib."""
        cafile = self.tls_ca_file
        if cafile is None:
            raise RuntimeError('no throwaway CA: start a Server(tls="auto") first')
        return ssl.create_default_context(cafile=cafile)

    @property
    def pop3_port(self) -> int | None:
        """The POP3 port, or None when POP3 is off (``pop3_port=None``)."""
        port = int(self._native.pop3_port)
        return port or None

    @property
    def http_port(self) -> int | None:
        """The HTTP port (REST API, live events), or None when off."""
        return int(self._native.http_port) or None

    @property
    def https_port(self) -> int | None:
        """The HTTPS port (implicit TLS with the server's ``tls``), or None when off."""
        return int(self._native.https_port) or None

    @property
    def http_url(self) -> str:
        """``http://host:port`` of the REST API (``https://`` when only HTTPS
        is served); RuntimeError when HTTP is off."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        if self.http_port:
            return f"http://{host}:{self.http_port}"
        if self.https_port:
            return f"https://{host}:{self.https_port}"
        raise RuntimeError("HTTP is off: give Server(http_port=0) to serve it")

    @property
    def https_url(self) -> str:
        """``https://host:port`` of the REST API over TLS; RuntimeError when
        HTTPS is off."""
        if not self.https_port:
            raise RuntimeError("HTTPS is off: give Server(https_port=0, tls=...) to serve it")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"https://{host}:{self.https_port}"

    @property
    def pop3_address(self) -> tuple[str, int]:
        if self.pop3_port is None:
            raise RuntimeError("POP3 is off: give Server(pop3_port=0) to serve it")
        return self.host, self.pop3_port

    @property
    def imap_port(self) -> int | None:
        """The IMAP port (STARTTLS when the server has TLS), or None when IMAP
        is off (``imap_port=None``)."""
        return int(self._native.imap_port) or None

    @property
    def imaps_port(self) -> int | None:
        """The implicit-TLS IMAP port (RFC 8314), or None when off."""
        return int(self._native.imaps_port) or None

    @property
    def imap_address(self) -> tuple[str, int]:
        if self.imap_port is None:
            raise RuntimeError("IMAP is off: give Server(imap_port=0) to serve it")
        return self.host, self.imap_port

    @property
    def postmaster(self) -> str:
        """The account that <postmaster> and postmaster@ each local domain reach
        (RFC 5321 §4.5.1): ``postmaster=``, else postmaster@ the first domain."""
        return str(self._native.postmaster)

    @property
    def hostname(self) -> str:
        return str(self._native.hostname)

    # -- mail ----------------------------------------------------------------------
    def _message(self, copy: _core.server.StoredCopy) -> Message:
        seq = copy.arrival
        with self._cache_lock:
            cached = self._cache.get(seq)
        if cached is not None:
            return cached
        msg = Message.parse(copy.data)
        msg.envelope = _envelope(copy.envelope)
        with self._cache_lock:
            self._cache[seq] = msg
        return msg

    def _received(self, copies: Sequence[_core.server.StoredCopy]) -> list[Message]:
        # One copy is stored per recipient; a transaction shows once here.
        seen: set[int] = set()
        out = []
        for copy in copies:
            if copy.transaction in seen:
                continue
            seen.add(copy.transaction)
            out.append(self._message(copy))
        return out

    @property
    def messages(self) -> list[Message]:
        """Everything received, in arrival order (one entry per transaction)."""
        return self._received(self._native.messages(0))

    def mailbox(self, address: str) -> list[Message]:
        """The messages delivered to one address (Bcc recipients included)."""
        return [self._message(row) for row in self._native.mailbox(address)]

    @property
    def store(self) -> MailStore:
        """The store the server delivers into: accounts, folders, flags
        (``mailroom.store``). SMTP fills each recipient's INBOX; POP3 serves it."""
        return MailStore._wrap(self._native.store, self.events)

    def account(self, address: str, *, create: bool = True) -> Account:
        """``server.store.account(address)``: an account's folders and messages
        (made with its folders when missing, unless ``create=False``)."""
        return self.store.account(address, create=create)

    def clear(self) -> None:
        """Forget every message (Maildir: the files are removed)."""
        self._native.clear()
        with self._cache_lock:
            self._cache.clear()

    def __len__(self) -> int:
        return len(self.messages)

    def mark(self) -> int:
        """A checkpoint in the arrival order: ``wait_for(since=mark)`` and
        ``wait_for_all(since=mark)`` see only mail stored after it.

        ``m = server.mark(); app.send_reset(); server.wait_for(to=..., since=m)``
        """
        return int(self._native.last_seq())

    def wait_for(
        self,
        to: str | None = None,
        subject: str | re.Pattern[str] | None = None,
        predicate: Callable[[Message], bool] | None = None,
        count: int = 1,
        timeout: float = 5.0,
        *,
        since: int | None = None,
        new: bool = False,
        folder: str | None = None,
    ) -> Message:
        """Wait for a received message that matches, and return it.

        By default mail that arrived before the call counts too (a test's
        server is fresh, so "has it come?" is the question); ``new=True``
        waits for mail stored after the call, ``since=server.mark()`` for mail
        stored after that mark. ``to`` matches an envelope recipient
        (case-insensitive domain); ``subject`` the decoded Subject, exactly
        when a str, by ``re.search`` when a compiled pattern; ``predicate``
        anything. Returns the first matching Message (``wait_for_all`` returns
        a list). The native side wakes the wait as soon as a message is
        stored; on timeout, TimeoutError lists what did arrive.

        ``folder="Junk"`` waits for a message in that folder instead of an
        INBOX (moved or appended there by a hook, IMAP or the store API);
        ``to`` then names the account, and ``since`` does not apply (it counts
        INBOX arrivals).
        """
        if count != 1:
            warnings.warn(
                "wait_for(count=N) returns a list; use wait_for_all(N, ...)",
                DeprecationWarning,
                stacklevel=2,
            )
            # The old form, kept working: the list of count messages.
            return self._wait(count, to, subject, predicate, timeout, since, new, folder)  # type: ignore[return-value]
        return self._wait(1, to, subject, predicate, timeout, since, new, folder)[0]

    def wait_for_all(
        self,
        count: int,
        to: str | None = None,
        subject: str | re.Pattern[str] | None = None,
        predicate: Callable[[Message], bool] | None = None,
        timeout: float = 5.0,
        *,
        since: int | None = None,
        new: bool = False,
        folder: str | None = None,
    ) -> list[Message]:
        """Wait until ``count`` received messages match; return the first
        ``count`` of them in arrival order (always a list). The matching rules,
        ``since``, ``new`` and ``folder`` are those of ``wait_for``."""
        return self._wait(count, to, subject, predicate, timeout, since, new, folder)

    def _wait(
        self,
        count: int,
        to: str | None,
        subject: str | re.Pattern[str] | None,
        predicate: Callable[[Message], bool] | None,
        timeout: float,
        since: int | None,
        new: bool,
        folder: str | None = None,
    ) -> list[Message]:
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise ValueError(f"count must be a positive int, got {count!r}")
        if since is not None and new:
            raise ValueError("give since= or new=True, not both")
        if subject is not None and not isinstance(subject, (str, re.Pattern)):
            raise TypeError(
                f"subject must be a str or a compiled re.Pattern, not {type(subject).__name__}"
            )
        want_to = _normalize(to) if to is not None else None

        def content_matches(m: Message) -> bool:
            if isinstance(subject, str) and m.subject != subject:
                return False
            if isinstance(subject, re.Pattern) and not subject.search(m.subject or ""):
                return False
            return predicate is None or bool(predicate(m))

        if folder is not None and _core.store.folder_name(folder) != "INBOX":
            if since is not None:
                raise ValueError(
                    "since= counts INBOX arrivals; with folder= give new=True or neither"
                )
            return self._wait_in_folder(
                count,
                want_to,
                _core.store.folder_name(folder),
                content_matches,
                timeout,
                new,
                subject,
            )

        def matches(m: Message) -> bool:
            if want_to is not None and want_to not in {
                _normalize(r) for r in (m.envelope.rcpt_to if m.envelope else [])
            }:
                return False
            return content_matches(m)

        deadline = time.monotonic() + timeout
        seen_seq = self.mark() if new else int(since or 0)
        start_seq = seen_seq
        found: list[Message] = []
        seen_env: set[int] = set()
        while True:
            rows = self._native.messages(seen_seq)
            for row in rows:
                seen_seq = max(seen_seq, row.arrival)
                if row.transaction in seen_env:
                    continue
                seen_env.add(row.transaction)
                m = self._message(row)
                if matches(m):
                    found.append(m)
            if len(found) >= count:
                # Subscribers (server.events) have seen the message's events too.
                self.events._settle(max(deadline - time.monotonic(), 0.5))
                return found[:count]
            left = deadline - time.monotonic()
            if left <= 0 or not self.running and not rows:
                break
            self._native.wait_after(seen_seq, left)
        arrived = self._received(self._native.messages(start_seq))
        summary = (
            "; ".join(
                f"to={m.envelope.rcpt_to if m.envelope else '?'} subject={m.subject!r}"
                for m in arrived[-20:]
            )
            or "nothing"
        )
        what = (
            ", ".join(f"{k}={v!r}" for k, v in (("to", to), ("subject", subject)) if v is not None)
            or "any message"
        )
        after = " after the mark" if start_seq else ""
        raise TimeoutError(
            f"no {count} message(s) matching {what}"
            f"{' and the predicate' if predicate else ''} within {timeout:g}s; "
            f"{len(found)} matched, {len(arrived)} arrived{after}: {summary}"
        )

    def _wait_in_folder(
        self,
        count: int,
        account: str | None,
        folder: str,
        matches: Callable[[Message], bool],
        timeout: float,
        new: bool,
        subject: str | re.Pattern[str] | None,
    ) -> list[Message]:
        # Listening first, then looking at what is there: nothing slips between.
        native = self._native.store
        found: list[Message] = []
        seen: set[tuple[str, int]] = set()

        def consider(acct: str, uid: int) -> None:
            if (acct, uid) in seen:
                return
            seen.add((acct, uid))
            try:
                raw = native.read(acct, folder, uid)
            except (NoSuchMessage, NoSuchFolder):
                return  # moved on already
            m = Message.parse(bytes(raw))
            if matches(m):
                found.append(m)

        with self.events.listen(kinds="appended", account=account) as arrivals:
            if not new:
                for acct in [account] if account else native.accounts():
                    try:
                        uids = [
                            info.uid
                            for info in self.store.account(acct, create=False)
                            .folder(folder)
                            .messages()
                        ]
                    except (NoSuchAccount, NoSuchFolder):
                        continue
                    for uid in uids:
                        consider(acct, uid)
            deadline = time.monotonic() + timeout
            while len(found) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    what = ", ".join(
                        f"{k}={v!r}" for k, v in (("to", account), ("subject", subject)) if v
                    )
                    raise TimeoutError(
                        f"no {count} message(s) in folder {folder!r}"
                        f"{' matching ' + what if what else ''} within {timeout:g}s; "
                        f"{len(found)} matched, {len(seen)} looked at"
                    )
                try:
                    ev = arrivals.get(timeout=left)
                except TimeoutError:
                    continue
                if isinstance(ev, StoreChange) and ev.folder == folder and ev.uid:
                    consider(ev.account, ev.uid)
        self.events._settle(max(deadline - time.monotonic(), 0.5))
        return found[:count]

    # -- hooks and reply rules -----------------------------------------------------
    def on_message(self, fn: MessageHook) -> MessageHook:
        """Call ``fn(message)`` for each message before it is stored.

        Return None to accept, or ``(code, text)`` to refuse it with that reply.
        An exception in ``fn`` is reported through ``sys.unraisablehook``; the
        client gets 451 4.3.0 and the server keeps running. Usable as a
        decorator; several hooks run in the order they were added.
        """
        if not callable(fn):
            raise TypeError("on_message() takes a callable")
        self._hooks.append(fn)
        hooks = list(self._hooks)

        def run(data: bytes, envelope: _core.store.Envelope) -> tuple[int, str] | None:
            msg = Message.parse(data)
            msg.envelope = _envelope(envelope)
            for hook in hooks:
                result = hook(msg)
                if result is not None:
                    code, text = result
                    return (int(code), str(text))
            return None

        self._native.set_message_hook(run)
        return fn

    def remove_hooks(self) -> None:
        self._hooks.clear()
        self._native.set_message_hook(None)

    # -- the outgoing queue ----------------------------------------------------------
    def submit(
        self,
        message: Message | bytes | bytearray | memoryview,
        sender: str | Address | None = None,
        recipients: Iterable[str | Address] | None = None,
    ) -> str:
        """Hand a message to the server as if a trusted client had sent it.

        The envelope comes from Sender/From and To/Cc/Bcc unless given; Bcc
        is removed. Local recipients get it in their mailboxes, the others
        go to the outgoing queue (no relay check: the application is trusted).
        Returns the id (the queue id for queued mail).
        """
        from .smtp import SMTPClient  # the envelope rules of sending

        sender_addr, rcpts, data = SMTPClient._envelope(message, sender, recipients)
        return str(self._native.submit(sender_addr, rcpts, data))

    def reply(
        self,
        code: int = 0,
        text: str = "",
        *,
        sender: str | None = None,
        recipient: str | None = None,
        stage: str | None = None,
        delay: float = 0.0,
        disconnect: bool = False,
        close: bool = False,
        times: int | None = None,
    ) -> ReplyRule:
        """Answer chosen senders/recipients with a chosen reply.

        ``server.reply(550, "No such user", recipient="ghost@example.org")``,
        ``server.reply(451, sender="*@spam.test", times=2)`` (then accept),
        ``server.reply(delay=2.0, stage="data")`` (slow server),
        ``server.reply(disconnect=True, recipient="*@down.test")`` (the
        connection drops with no reply, as from a crashed server: smtplib
        raises SMTPServerDisconnected), ``server.reply(421, "Try later",
        close=True)`` (the reply, then the server closes the connection).
        Patterns: an address, ``*@domain`` or ``*``. ``stage`` is "mail",
        "rcpt", "data" or "auth" (default: "rcpt" when a recipient is given,
        "mail" when only a sender is, else "data"). A message whose DATA stage
        drops or is refused is not stored. ``stage="auth"`` answers the AUTH
        command itself (``server.reply(454, "Try later", stage="auth")``), with
        no sender or recipient pattern and a 4yz/5yz reply, disconnect or close.
        """
        if stage is None:
            stage = "rcpt" if recipient is not None else ("mail" if sender is not None else "data")
        # The rule itself is checked by the engine (ValueError saying why).
        if delay < 0:
            raise ValueError("delay must not be negative")
        rule_id = self._native.add_rule(
            stage=stage,
            sender=sender or "*",
            recipient=recipient or "*",
            code=int(code),
            enhanced="",
            text=text,
            delay_ms=int(delay * 1000),
            disconnect=disconnect,
            close=close,
            times=-1 if times is None else int(times),
        )
        return ReplyRule(
            rule_id,
            stage,
            sender or "*",
            recipient or "*",
            code,
            text,
            delay,
            disconnect,
            times,
            close,
            self,
        )

    def clear_rules(self) -> None:
        self._native.clear_rules()

    def imap_reply(
        self,
        status: str = "",
        text: str = "",
        *,
        command: str = "*",
        delay: float = 0.0,
        disconnect: bool = False,
        times: int | None = None,
    ) -> ImapReplyRule:
        """Answer an IMAP command with a chosen reply instead of its own.

        ``server.imap_reply("NO", "[UNAVAILABLE] try later", command="FETCH",
        times=1)`` (the command is not run; ``FETCH`` also matches UID FETCH),
        ``server.imap_reply("BYE", command="SELECT")`` (the server hangs up),
        ``server.imap_reply(delay=2.0, command="FETCH")`` (a slow server: the
        command runs, its responses wait), ``server.imap_reply(disconnect=True,
        command="LOGIN")`` (the connection drops without a word).
        """
        status = status.upper()
        # The rule itself is checked by the engine (ValueError saying why).
        if delay < 0:
            raise ValueError("delay must not be negative")
        rule_id = self._native.add_imap_reply(
            status=status,
            text=text,
            command=command.upper(),
            delay=float(delay),
            disconnect=disconnect,
            times=-1 if times is None else int(times),
        )
        return ImapReplyRule(rule_id, status, command.upper(), text, delay, disconnect, times, self)

    def clear_imap_replies(self) -> None:
        self._native.clear_imap_replies()

    # -- sessions ------------------------------------------------------------------
    @property
    def sessions(self) -> list[Session]:
        """SMTP sessions, oldest first (transcripts once each session ended)."""
        return [
            Session(
                r.id,
                r.peer,
                r.transcript,
                r.truncated,
                _ts(r.started_at),
                _ts(r.ended_at) if r.ended_at else None,
                r.messages,
                r.protocol,
            )
            for r in self._native.sessions()
        ]

    @property
    def transcripts(self) -> list[str]:
        """The transcript of each finished SMTP session: ``S: 220 ...``, ``C: EHLO ...``."""
        return [
            s.transcript for s in self.sessions if s.ended_at is not None and s.protocol == "smtp"
        ]

    @property
    def pop3_transcripts(self) -> list[str]:
        """The transcript of each finished POP3 session: ``S: +OK ...``, ``C: USER ...``."""
        return [
            s.transcript for s in self.sessions if s.ended_at is not None and s.protocol == "pop3"
        ]

    @property
    def imap_transcripts(self) -> list[str]:
        """The transcript of each finished IMAP session: ``S: * OK ...``, ``C: a1 LOGIN ...``."""
        return [
            s.transcript for s in self.sessions if s.ended_at is not None and s.protocol == "imap"
        ]

    @property
    def active_connections(self) -> int:
        return int(self._native.active_connections)

    def __repr__(self) -> str:
        state = f"listening on {self.host}:{self.smtp_port}" if self.running else "stopped"
        if self.running and self.pop3_port:
            state += f" (POP3 {self.pop3_port})"
        if self.running and self.imap_port:
            state += f" (IMAP {self.imap_port})"
        store = f"maildir={self.maildir!r}" if self.maildir else "in memory"
        return f"<mailroom.Server {state}, {store}, {self._native.count()} stored>"


def _normalize(address: str) -> str:
    """A to= argument as the store names accounts (domain lower-cased, in C++)."""
    return _core.store.normalize_mailbox(address.strip().strip("<>").strip())


def _http_tokens(tokens: dict[str, str] | None) -> dict[str, str]:
    """``http_tokens`` checked: bearer tokens (RFC 6750 token68 characters,
    at least 16 of them, so none is guessed) for accounts."""
    if tokens is None:
        return {}
    if not isinstance(tokens, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in tokens.items()
    ):
        raise TypeError("http_tokens must be a dict of token -> account address (str -> str)")
    for token, account in tokens.items():
        if len(token) < 16 or not re.fullmatch(r"[A-Za-z0-9\-._~+/]+=*", token):
            raise ValueError(
                "http_tokens: a token is at least 16 of the characters A-Z a-z 0-9 - . _ ~ + / "
                "(secrets.token_urlsafe() makes one)"
            )
        if "@" not in account or any(c in account for c in "\r\n\0 "):
            raise ValueError(f"http_tokens: {account!r} is not an account address")
    return dict(tokens)


def _is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address or name (as the engine decides
    once it has bound; this is for the warning before)."""
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
