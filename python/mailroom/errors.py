"""The exceptions of mailroom's SMTP, POP3 and IMAP clients.

Each protocol has its own family (SMTPError, POP3Error, IMAPError); the kinds both share
(a TLS failure, a certificate that did not verify, a refused login) are also
TLSError, CertificateError and AuthenticationError, so one ``except`` catches
either protocol's. Connection failures are ConnectionErrors, timeouts
TimeoutErrors, unresolvable hosts ``socket.gaierror``, as the standard library's.
"""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING

from . import _core

if TYPE_CHECKING:
    from .smtp import Reply

__all__ = [
    "AuthenticationError",
    "CertificateError",
    "DSNNotOfferedWarning",
    "IMAPAuthError",
    "IMAPCertificateError",
    "IMAPConnectError",
    "IMAPConnectTimeoutError",
    "IMAPError",
    "IMAPHostNotFoundError",
    "IMAPProtocolError",
    "IMAPServerDisconnected",
    "IMAPTLSError",
    "IMAPTimeoutError",
    "POP3AuthenticationError",
    "POP3CertificateError",
    "POP3ConnectError",
    "POP3ConnectTimeoutError",
    "POP3Error",
    "POP3HostNotFoundError",
    "POP3ServerDisconnected",
    "POP3TLSError",
    "POP3TimeoutError",
    "SMTPAuthenticationError",
    "SMTPCertificateError",
    "SMTPConnectError",
    "SMTPConnectTimeoutError",
    "SMTPDataError",
    "SMTPError",
    "SMTPHostNotFoundError",
    "SMTPNotSupportedError",
    "SMTPProtocolError",
    "SMTPRecipientsRefused",
    "SMTPSenderRefused",
    "SMTPServerDisconnected",
    "SMTPTLSError",
    "SMTPTimeoutError",
    "TLSError",
]


class TLSError(ConnectionError):
    """TLS failed: the handshake, or TLS was asked for and the server did not
    offer it (no STARTTLS/STLS) or refused it."""


class CertificateError(TLSError):
    """The server's certificate did not verify; ``reason`` is OpenSSL's
    ("hostname mismatch", "unable to get local issuer certificate", ...)."""

    reason: str = ""


class AuthenticationError(Exception):
    """Logging in failed: the server refused the credentials, offered no
    usable mechanism, or the client would not send them outside TLS."""


class SMTPError(Exception):
    """An SMTP failure, with the server's reply when there was one."""

    def __init__(self, message: str, reply: Reply | None = None) -> None:
        super().__init__(message)
        self.reply = reply

    @property
    def code(self) -> int | None:
        return self.reply.code if self.reply else None


class SMTPConnectError(SMTPError, ConnectionError):
    """No session: the connection was refused or could not be made (``host``,
    ``port`` and ``errno`` say which), or the server refused the session in
    its greeting or to EHLO/HELO (then ``reply`` is its answer)."""

    host: str | None = None
    port: int | None = None
    reason: str | None = None  # the system's words: "Connection refused"


class SMTPHostNotFoundError(SMTPConnectError, socket.gaierror):
    """The server's host name does not resolve (also a ``socket.gaierror``,
    whose ``errno`` is the resolver's ``socket.EAI_*`` code)."""


class SMTPConnectTimeoutError(SMTPConnectError, TimeoutError):
    """The connection was not made within ``connect_timeout``."""


class SMTPServerDisconnected(SMTPError, ConnectionError):
    """The server closed the connection (421, or the connection dropped)."""


class SMTPTimeoutError(SMTPError, TimeoutError):
    """A wait passed its RFC 5321 §4.5.3.2 timeout (or the one given); the
    message names the stage (the greeting, a command, DATA) and the seconds."""


class SMTPProtocolError(SMTPError):
    """The server's reply was malformed or out of place."""


class SMTPSenderRefused(SMTPError):
    """MAIL FROM was refused."""

    def __init__(self, message: str, reply: Reply, sender: str) -> None:
        super().__init__(message, reply)
        self.sender = sender


class SMTPRecipientsRefused(SMTPError):
    """Every recipient was refused; ``recipients`` maps each to its reply."""

    def __init__(self, message: str, recipients: dict[str, Reply]) -> None:
        super().__init__(message, next(iter(recipients.values()), None))
        self.recipients = recipients


class SMTPDataError(SMTPError):
    """The message itself was refused (the reply to DATA or the final BDAT),
    or could not be sent as asked (e.g. 8-bit data to a server without 8BITMIME)."""


class SMTPTLSError(SMTPError, TLSError):
    """STARTTLS not offered or refused, or the TLS handshake failed."""


class SMTPCertificateError(SMTPTLSError, CertificateError):
    """The SMTP server's certificate did not verify."""


class SMTPAuthenticationError(SMTPError, AuthenticationError):
    """AUTH failed; ``reply`` is the server's (535 5.7.8, 534, 538...) when it said no."""


class SMTPNotSupportedError(SMTPError):
    """The message needs an extension the server does not offer (DSN for
    ``notify``/``ret``/``envid``/``orcpt``); nothing was sent."""


class DSNNotOfferedWarning(UserWarning):
    """``send(..., without_dsn="drop")`` sent a message without its DSN
    parameters because the server does not offer DSN (RFC 3461)."""


class POP3Error(Exception):
    """A -ERR response; ``code`` is its RFC 2449/3206 response code ("AUTH", "IN-USE")."""

    def __init__(self, message: str, response: str = "", code: str = "") -> None:
        super().__init__(message)
        self.response = response
        self.code = code


class POP3ConnectError(POP3Error, ConnectionError):
    """The connection was refused or could not be made (``host``, ``port``
    and ``errno`` say which), or the server's greeting was -ERR."""

    host: str | None = None
    port: int | None = None
    reason: str | None = None  # the system's words: "Connection refused"


class POP3HostNotFoundError(POP3ConnectError, socket.gaierror):
    """The server's host name does not resolve (also a ``socket.gaierror``)."""


class POP3ConnectTimeoutError(POP3ConnectError, TimeoutError):
    """The connection was not made within ``connect_timeout``."""


class POP3ServerDisconnected(POP3Error, ConnectionError):
    """The server closed the connection, or its response could not be read."""


class POP3TimeoutError(POP3Error, TimeoutError):
    """No response within ``timeout``; the message names the command."""


class POP3TLSError(POP3Error, TLSError):
    """STLS not offered or refused, or the TLS handshake failed."""


class POP3CertificateError(POP3TLSError, CertificateError):
    """The POP3 server's certificate did not verify."""


class POP3AuthenticationError(POP3Error, AuthenticationError):
    """The login was refused (``code`` is usually "AUTH"), or the client would
    not send the password outside TLS."""


class IMAPError(Exception):
    """A NO or BAD completion (or a failure of the session); ``status`` is
    "NO"/"BAD", ``code`` its response code ("TRYCREATE", "NONEXISTENT",
    "AUTHENTICATIONFAILED"; RFC 5530), ``command`` the command."""

    def __init__(self, message: str, status: str = "", code: str = "", command: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.command = command


class IMAPConnectError(IMAPError, ConnectionError):
    """The connection was refused or could not be made (``host``, ``port``
    and ``errno`` say which), or the server's greeting was BYE."""

    host: str | None = None
    port: int | None = None
    reason: str | None = None


class IMAPHostNotFoundError(IMAPConnectError, socket.gaierror):
    """The server's host name does not resolve (also a ``socket.gaierror``)."""


class IMAPConnectTimeoutError(IMAPConnectError, TimeoutError):
    """The connection was not made within ``connect_timeout``."""


class IMAPServerDisconnected(IMAPError, ConnectionError):
    """The server closed the connection (the message says where: in the
    middle of a literal, after a BYE)."""


class IMAPProtocolError(IMAPError, ConnectionError):
    """The server said something the client cannot read (a malformed
    response, a line or a literal over the client's limits); the session is
    closed."""


class IMAPTimeoutError(IMAPError, TimeoutError):
    """No response within ``timeout``; the message names the command."""


class IMAPTLSError(IMAPError, TLSError):
    """STARTTLS not offered or refused, or the TLS handshake failed."""


class IMAPCertificateError(IMAPTLSError, CertificateError):
    """The IMAP server's certificate did not verify."""


class IMAPAuthError(IMAPError, AuthenticationError):
    """The login was refused (``code`` is often "AUTHENTICATIONFAILED"), or
    the client would not send the password outside TLS."""


# -- the native clients' failures, as these exceptions --------------------------


def _connect_failure(
    e: _core.net.ConnectFailure,
    refused: type[Exception],
    not_found: type[Exception],
    timed_out: type[Exception],
) -> Exception:
    """The client's exception for a native ConnectFailure: the name did not
    resolve, the connection was refused or unreachable, or it timed out."""
    message = str(e)
    cls = {"resolve": not_found, "timeout": timed_out}.get(e.stage, refused)
    err = cls(message)
    # OSError's fields, as socket.gaierror and ConnectionRefusedError carry
    # them; str(err) is then "[Errno -2] cannot resolve the host name ...".
    err.errno, err.strerror = e.code, message  # type: ignore[attr-defined]
    err.host, err.port, err.reason = e.host, e.port, e.detail  # type: ignore[attr-defined]
    return err


def _tls_failure(
    e: BaseException, tls_error: type[Exception], cert_error: type[Exception]
) -> Exception:
    """The protocol's TLSError (or CertificateError) for a _core TLS failure."""
    if isinstance(e, _core.net.CertificateFailure):
        err = cert_error(str(e))
        err.reason = e.reason  # type: ignore[attr-defined]
        return err
    return tls_error(str(e))
