"""The native POP3 client: the seeds' user agent, fetching.

    with mailroom.POP3Client("127.0.0.1", 1110, "b@example.org", "secret") as pop:
        for msg in pop.fetch_all(delete=True):
            print(msg.subject)

TLS: ``tls="starttls"`` (STLS, RFC 2595) or ``tls="implicit"`` (RFC 8314:
port 995), verified as the SMTP client does. Network waits run natively with
the GIL released.
"""

from __future__ import annotations

import builtins
import contextlib
import os
from collections.abc import Iterator
from typing import Any

from . import _core
from ._client_tls import TLSMode, _tls_arguments, _TLSState
from .errors import (
    POP3AuthenticationError,
    POP3CertificateError,
    POP3ConnectError,
    POP3ConnectTimeoutError,
    POP3Error,
    POP3HostNotFoundError,
    POP3ServerDisconnected,
    POP3TimeoutError,
    POP3TLSError,
    _connect_failure,
    _tls_failure,
)
from .message import Message

__all__ = [
    "POP3Client",
]


@contextlib.contextmanager
def _pop3_failures() -> Iterator[None]:
    """The POP3 client's exceptions for the native session's failures."""
    try:
        yield
    except _core.net.ConnectFailure as e:
        raise _connect_failure(
            e, POP3ConnectError, POP3HostNotFoundError, POP3ConnectTimeoutError
        ) from None
    except _core.pop3.Pop3SessionFailure as e:
        cls = POP3TimeoutError if e.kind == "Timeout" else POP3ServerDisconnected
        raise cls(f"POP3 session ended: {e}") from None


def _pop_arg(value: Any, what: str) -> str:
    s = str(value)
    if any(c in s for c in "\r\n\0"):
        raise ValueError(f"CR, LF or NUL in {what}")
    return s


class POP3Client(_TLSState):
    """A native POP3 client (RFC 1939): log in, list, fetch and delete.

    ``auth="plain"`` logs in with AUTH PLAIN (RFC 5034), ``"user"`` with
    USER/PASS; the default uses AUTH PLAIN when the server offers it.
    Commands are pipelined when the server's CAPA allows it.

    ``tls="starttls"`` says STLS (RFC 2595) after CAPA and fails
    (POP3TLSError) when the server does not offer it; ``tls="implicit"`` is
    POP3S (port 995). ``verify``, ``cafile``, ``server_hostname`` and
    ``allow_plaintext_auth`` as for SMTPClient; a refused login raises
    POP3AuthenticationError.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 110,
        user: str | None = None,
        password: str | None = None,
        *,
        auth: str | None = None,
        timeout: float = 60.0,
        connect_timeout: float = 30.0,
        pipelining: bool = True,
        transcript: bool = True,
        max_transcript_bytes: int = 64 * 1024,
        tls: TLSMode | None = None,
        verify: bool = True,
        cafile: str | os.PathLike[str] | None = None,
        server_hostname: str | None = None,
        allow_plaintext_auth: bool | None = None,
    ) -> None:
        tls_args = _tls_arguments(tls, verify, cafile, server_hostname, allow_plaintext_auth)
        if user is None and password is not None:
            raise ValueError("a password without a user")
        self.host, self.port = host, port
        self._native = _core.pop3.Pop3Client(
            host=host,
            port=port,
            timeout=timeout,
            connect_timeout=connect_timeout,
            pipelining=pipelining,
            max_transcript_bytes=max_transcript_bytes if transcript else 0,
            **tls_args,
        )
        try:
            with _pop3_failures():
                greeting = self._native.connect()
        except _core.net.TlsFailure as e:
            raise _tls_failure(e, POP3TLSError, POP3CertificateError) from None
        status = greeting.status_line
        if not greeting.ok:
            self._native.close()
            raise POP3ConnectError(f"server refused the session: {status}", status, greeting.code)
        self.greeting = status
        if user is not None:
            try:
                self.login(user, password or "", auth=auth)
            except BaseException:
                self._native.close()
                raise

    def _run(self, name: str, *args: Any) -> _core.pop3.Response:
        with _pop3_failures():
            ident = self._native.command(name, [_pop_arg(a, name) for a in args])
            r: _core.pop3.Response = self._native.wait(ident)
        if not r.ok:
            raise POP3Error(f"{name} failed: {r.status_line}", r.status_line, r.code)
        return r

    @property
    def capabilities(self) -> builtins.list[str]:
        return list(self._native.capabilities)

    def login(self, user: str, password: str, *, auth: str | None = None) -> None:
        """Log in; raises POP3AuthenticationError (code "AUTH", "IN-USE"...)
        when refused, or before sending anything when the password would
        travel outside TLS and that is not allowed."""
        _pop_arg(user, "user")
        _pop_arg(password, "password")
        if auth in (None, "plain", "user") and not self._native.credentials_allowed:
            raise POP3AuthenticationError(
                "refusing to send a password over a connection without TLS "
                "(use tls='starttls' or 'implicit', or allow_plaintext_auth=True)"
            )
        try:
            self._login(user, password, auth)
        except (POP3AuthenticationError, POP3ServerDisconnected, POP3TimeoutError):
            raise
        except POP3Error as e:
            raise POP3AuthenticationError(str(e), e.response, e.code) from None

    def _login(self, user: str, password: str, auth: str | None) -> None:
        if auth is None:
            auth = "plain" if self._native.sasl_plain_offered else "user"
        if auth == "plain":
            self._run("AUTH PLAIN", user, password)
        elif auth == "user":
            self._run("USER", user)
            self._run("PASS", password)
        elif auth == "apop":
            if not self._native.apop_timestamp:
                raise POP3Error("the server offers no APOP timestamp")
            self._run("APOP", user, password)
        else:
            raise ValueError("auth must be 'plain', 'user' or 'apop'")

    def stat(self) -> tuple[int, int]:
        """(message count, mailbox size in octets)."""
        r = self._run("STAT")
        found = _core.pop3.parse_stat(r)
        if found is None:
            raise POP3Error(f"malformed STAT response: {r.status_line}", r.status_line, r.code)
        return found

    def _listing(self, name: str, msg: int | None) -> Any:
        r = self._run(name) if msg is None else self._run(name, msg)
        if msg is None:
            rows = _core.pop3.parse_listing(r)
            if rows is not None:
                return dict(rows)
        else:
            found = _core.pop3.parse_listing_line(r.text)
            if found is not None:
                return found[1]
        raise POP3Error(f"malformed {name} response: {r.status_line}", r.status_line, r.code)

    def list(self, msg: int | None = None) -> Any:
        """{number: size}, or the size of one message."""
        found = self._listing("LIST", msg)
        if msg is not None:
            return int(found)
        return {n: int(v) for n, v in found.items()}

    def uidl(self, msg: int | None = None) -> Any:
        """{number: unique id}, or the id of one message."""
        return self._listing("UIDL", msg)

    def top(self, msg: int, lines: int = 0) -> bytes:
        """The headers and the first ``lines`` lines of the body."""
        return self._run("TOP", msg, lines).body

    def retr_bytes(self, msg: int) -> bytes:
        return self._run("RETR", msg).body

    def retr(self, msg: int) -> Message:
        """Message ``msg`` as a Message."""
        return Message.parse(self.retr_bytes(msg))

    def dele(self, msg: int) -> None:
        """Mark for deletion (done at QUIT)."""
        self._run("DELE", msg)

    def rset(self) -> None:
        self._run("RSET")

    def noop(self) -> None:
        self._run("NOOP")

    def fetch_all_bytes(self, delete: bool = False) -> builtins.list[bytes]:
        """Every message as bytes, exactly as the server holds them (RETRs are
        pipelined when allowed); with ``delete=True`` each is deleted at QUIT."""
        count, _ = self.stat()
        ids = [self._native.command("RETR", [str(n)]) for n in range(1, count + 1)]
        if delete:
            ids += [self._native.command("DELE", [str(n)]) for n in range(1, count + 1)]
        with _pop3_failures():
            responses = self._native.wait_many(ids)
        for r in responses:
            if not r.ok:
                raise POP3Error(f"fetch failed: {r.status_line}", r.status_line, r.code)
        return [r.body for r in responses[:count]]

    def fetch_all(self, delete: bool = False) -> builtins.list[Message]:
        """Every message: download-and-keep, or download-and-delete with
        ``delete=True`` (deleted at QUIT). RETRs are pipelined when allowed."""
        return [Message.parse(data) for data in self.fetch_all_bytes(delete)]

    def quit(self) -> None:
        """QUIT: deletions happen now. Closes the connection."""
        try:
            if self._native.connected:
                self._run("QUIT")
        finally:
            self._native.close()

    def close(self) -> None:
        """Close without QUIT: nothing is deleted."""
        self._native.close()

    def __enter__(self) -> POP3Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.quit()

    @property
    def transcript(self) -> str:
        return str(self._native.transcript)

    def __repr__(self) -> str:
        return f"<mailroom.POP3Client {self.host}:{self.port} {self._state()}>"
