"""Mail accounts named by URL: ``imap://user@host/FOLDER``, ``imaps://``,
``pop3://user@host``, ``pop3s://``, for ``mailroom.read`` and ``mailroom
archive``.

The user is the URL's user part (percent-encoded: ``bob%40example.org``);
the password never comes from the URL (one there is refused), but from the
``password=`` argument, else the environment: ``MAILROOM_PASSWORD``, else
``IMAP_PASSWORD`` (imap, imaps) or ``POP3_PASSWORD`` (pop3, pop3s). The
folder is the URL's path: none or ``*`` means every folder (IMAP).

TLS: ``imaps://`` and ``pop3s://`` are implicit TLS (ports 993, 995);
``imap://`` and ``pop3://`` say STARTTLS/STLS, except to a server on this
host, which they reach without TLS (``tls=`` chooses either way).
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from ._client_tls import TLSMode
from .imap import IMAPClient
from .imap_download import check_fetch_connections
from .message import Message
from .pop3 import POP3Client
from .progress import progress_bar

__all__ = ["MailURL", "open_imap", "open_pop3", "parse_mail_url", "read_url"]

_DEFAULT_PORTS = {"imap": 143, "imaps": 993, "pop3": 110, "pop3s": 995}


@dataclass(frozen=True)
class MailURL:
    """An account's URL, without a password."""

    scheme: str  # "imap", "imaps", "pop3", "pop3s"
    user: str
    host: str
    port: int
    folder: str | None  # None: every folder

    @property
    def protocol(self) -> str:
        return "imap" if self.scheme.startswith("imap") else "pop3"

    @property
    def implicit_tls(self) -> bool:
        return self.scheme.endswith("s")

    def server(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def __str__(self) -> str:
        folder = "" if self.folder is None else quote(self.folder, safe="/")
        return f"{self.scheme}://{quote(self.user, safe='')}@{self.server()}/{folder}"

    def with_folder(self, folder: str | None) -> MailURL:
        return MailURL(self.scheme, self.user, self.host, self.port, folder)


def is_mail_url(source: str) -> bool:
    return source.split("://", 1)[0].lower() in _DEFAULT_PORTS and "://" in source


def parse_mail_url(url: str) -> MailURL:
    """The parts of an imap://, imaps://, pop3:// or pop3s:// URL;
    ValueError says what is wrong (never repeating a password)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise ValueError(
            f"not a mail account URL: {scheme}:// (imap://, imaps://, pop3:// or pop3s://)"
        )
    if parts.password is not None:
        raise ValueError(
            f"a password in a {scheme}:// URL is not used: give password= or set "
            "MAILROOM_PASSWORD (URLs end up in logs)"
        )
    if not parts.username:
        raise ValueError(f"{scheme}:// URL without a user: {scheme}://USER@HOST/...")
    if not parts.hostname:
        raise ValueError(f"{scheme}:// URL without a host")
    try:
        port = parts.port or _DEFAULT_PORTS[scheme]
    except ValueError:
        raise ValueError(f"bad port in the {scheme}:// URL") from None
    if parts.query or parts.fragment:
        raise ValueError(f"a {scheme}:// URL takes no query or fragment")
    folder: str | None = unquote(parts.path.lstrip("/")) or None
    if folder == "*":
        folder = None
    if scheme.startswith("pop3") and folder not in (None, "INBOX"):
        raise ValueError("a POP3 account has only its INBOX: no folder in a pop3:// URL")
    return MailURL(scheme, unquote(parts.username), parts.hostname, port, folder)


def url_password(url: MailURL, password: str | None) -> str:
    """The password: the argument, else MAILROOM_PASSWORD, else IMAP_PASSWORD
    or POP3_PASSWORD."""
    if password is not None:
        return password
    for name in ("MAILROOM_PASSWORD", f"{url.protocol.upper()}_PASSWORD"):
        found = os.environ.get(name)
        if found is not None:
            return found
    raise ValueError(
        f"no password for {url}: give password=, or set MAILROOM_PASSWORD "
        f"(or {url.protocol.upper()}_PASSWORD)"
    )


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _tls(url: MailURL, tls: str | None) -> TLSMode | None:
    if tls is not None:
        if tls not in ("none", "starttls", "implicit"):
            raise ValueError(f"tls must be 'starttls', 'implicit' or 'none', not {tls!r}")
        return None if tls == "none" else tls  # type: ignore[return-value]
    if url.implicit_tls:
        return "implicit"
    return None if _loopback(url.host) else "starttls"


def open_imap(url: MailURL, password: str | None = None, **options: Any) -> IMAPClient:
    """An IMAPClient logged in to the URL's account (``tls``, ``cafile``,
    ``timeout`` and the rest as IMAPClient takes them)."""
    tls = _tls(url, options.pop("tls", None))
    return IMAPClient(url.host, url.port, url.user, url_password(url, password), tls=tls, **options)


def open_pop3(url: MailURL, password: str | None = None, **options: Any) -> POP3Client:
    tls = _tls(url, options.pop("tls", None))
    return POP3Client(url.host, url.port, url.user, url_password(url, password), tls=tls, **options)


def imap_folders(imap: IMAPClient, url: MailURL) -> list[str]:
    """The folder the URL names, or every selectable one."""
    if url.folder is not None:
        return [url.folder]
    return [f.name for f in imap.list_folders() if f.selectable]


def read_url(
    url: str,
    *,
    password: str | None = None,
    threads: int = 0,
    progress: bool | None = None,
    connections: int | None = None,
    **options: Any,
) -> Iterator[Message]:
    """The messages of the account the URL names (see the module's text),
    each with ``source`` (the URL of its folder, no password), ``folder``
    and, from IMAP, ``flags``, ``uid`` and ``internal_date``. The server is
    only read: IMAP folders are EXAMINEd, bodies fetched with BODY.PEEK[],
    POP3 mail is left on the server. ``connections``: IMAPClient.fetch's
    (None: one)."""
    parsed = parse_mail_url(url)
    url_password(parsed, password)  # fail now, not at the first next()
    check_fetch_connections(connections)
    if parsed.protocol == "imap":
        return _read_imap(parsed, password, threads, progress, connections, options)
    if connections not in (None, 1):
        raise ValueError("connections is for imap:// URLs: a POP3 session locks the maildrop")
    return _read_pop3(parsed, password, progress, options)


def _read_imap(
    url: MailURL,
    password: str | None,
    threads: int,
    progress: bool | None,
    connections: int | None,
    options: Any,
) -> Iterator[Message]:
    with open_imap(url, password, **options) as imap:
        for folder in imap_folders(imap, url):
            imap.select(folder, readonly=True)
            uids = imap.search()
            source = str(url.with_folder(folder))
            with progress_bar(progress, total=len(uids), unit="msg", desc=source) as bar:
                for msg in imap.fetch(uids, threads=threads, connections=connections):
                    msg.source = source
                    bar.update(1)
                    yield msg


def _read_pop3(
    url: MailURL, password: str | None, progress: bool | None, options: Any
) -> Iterator[Message]:
    with open_pop3(url, password, **options) as pop:
        count, _ = pop.stat()
        source = str(url.with_folder(None))
        with progress_bar(progress, total=count, unit="msg", desc=source) as bar:
            for n in range(1, count + 1):
                msg = Message.parse(pop.retr_bytes(n))
                msg.source, msg.folder = source, "INBOX"
                bar.update(1)
                yield msg
