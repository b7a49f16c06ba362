"""Native SMTP and POP3 clients: the seeds' user agent, sending and fetching.

    with mailroom.SMTPClient("127.0.0.1", 2525) as smtp:
        result = smtp.send(Message.build(sender="a@example.org", to="b@example.org", text="hi"))

    with mailroom.POP3Client("127.0.0.1", 1110, "b@example.org", "secret") as pop:
        for msg in pop.fetch_all(delete=True):
            print(msg.subject)

TLS: ``tls="starttls"`` (STARTTLS, RFC 3207; STLS, RFC 2595) or
``tls="implicit"`` (RFC 8314: ports 465 and 995), verified against the
system's CAs or ``cafile``, for the name ``server_hostname`` (default: the
host). Passwords go out only inside TLS unless ``allow_plaintext_auth``
(default: only to a server on this host, as the Server's own rule).

Network waits run natively with the GIL released.
"""

from __future__ import annotations

import builtins
import contextlib
import os
import re
import socket
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Union

from . import _core
from .message import Address, Message, _mailbox, _mailboxes

__all__ = [
    "AuthenticationError",
    "CertificateError",
    "DSNNotOfferedWarning",
    "POP3AuthenticationError",
    "POP3CertificateError",
    "POP3Client",
    "POP3ConnectError",
    "POP3ConnectTimeoutError",
    "POP3Error",
    "POP3HostNotFoundError",
    "POP3ServerDisconnected",
    "POP3TLSError",
    "POP3TimeoutError",
    "Reply",
    "SMTPAuthenticationError",
    "SMTPCertificateError",
    "SMTPClient",
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
    "SendResult",
    "TLSError",
    "send",
]


@dataclass(frozen=True)
class Reply:
    """An SMTP reply: ``Reply(550, "5.1.1", "No such user")``."""

    code: int
    enhanced: str
    text: str

    @property
    def ok(self) -> bool:
        return 200 <= self.code < 400

    def __str__(self) -> str:
        return " ".join(str(x) for x in (self.code, self.enhanced, self.text) if x)


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


@dataclass
class SendResult:
    """What happened to one message: who accepted it and the final reply."""

    sender: str
    accepted: list[str]
    refused: dict[str, Reply]
    reply: Reply
    mail_reply: Reply
    rcpt_replies: dict[str, Reply] = field(default_factory=dict)
    error: str = ""  # why not ok (a local refusal or the reply that refused it)
    dsn_dropped: bool = False  # DSN parameters asked for, not sent (without_dsn="drop")

    @property
    def ok(self) -> bool:
        return bool(self.accepted) and self.reply.ok


class SMTPNotSupportedError(SMTPError):
    """The message needs an extension the server does not offer (DSN for
    ``notify``/``ret``/``envid``/``orcpt``); nothing was sent."""


class DSNNotOfferedWarning(UserWarning):
    """``send(..., without_dsn="drop")`` sent a message without its DSN
    parameters because the server does not offer DSN (RFC 3461)."""


Notify = Union[Sequence[str], str]
NotifyArg = Union[Notify, Mapping[str, Notify], None]


def _notify_keywords(value: Notify) -> list[str]:
    words = value.split(",") if isinstance(value, str) else list(value)
    return [w.strip().upper() for w in words if w.strip()]


def _dsn_lists(
    rcpts: list[str], notify: NotifyArg, orcpt: Mapping[str, str] | None
) -> tuple[list[list[str]], list[tuple[str, str]]]:
    """NOTIFY per recipient (a mapping by address, or one value for all) and
    ORCPT per recipient ("bob@x" or "rfc822;bob@x"), for the native client."""
    per_rcpt: list[list[str]] = []
    if isinstance(notify, Mapping):
        unknown = set(notify) - set(rcpts)
        if unknown:
            raise ValueError(f"notify names addresses that are not recipients: {sorted(unknown)}")
        per_rcpt = [_notify_keywords(notify.get(r, ())) for r in rcpts]
    elif notify is not None:
        per_rcpt = [_notify_keywords(notify)] * len(rcpts)
    orcpts: list[tuple[str, str]] = []
    if orcpt:
        for r in rcpts:
            value = orcpt.get(r, "")
            kind, sep, address = value.partition(";")
            orcpts.append((kind, address) if sep else (("rfc822", value) if value else ("", "")))
    return per_rcpt, orcpts


def _reply(r: _core.smtp.Reply) -> Reply:
    return Reply(r.code, r.enhanced, r.text)


_KIND_TO_ERROR: dict[str, type[SMTPError]] = {
    "ServiceClosing": SMTPServerDisconnected,
    "ConnectionLost": SMTPServerDisconnected,
    "Timeout": SMTPTimeoutError,
    "Refused": SMTPConnectError,
    "Protocol": SMTPProtocolError,
    "Tls": SMTPTLSError,
    "Auth": SMTPAuthenticationError,
}


def _session_failure(e: _core.smtp.SmtpSessionFailure) -> SMTPError:
    reply = _reply(e.reply) if e.reply.code else None
    cls = _KIND_TO_ERROR.get(e.kind, SMTPError)
    return cls(f"{e}" + (f" (last reply: {reply})" if reply else ""), reply)


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


_BCC_FIELD = re.compile(rb"^bcc[ \t]*:.*?(?:\r?\n(?=[^ \t])|\Z)", re.I | re.M | re.S)


def _without_bcc(data: bytes) -> bytes:
    """The message bytes with any Bcc header field removed (folded lines too)."""
    end = data.find(b"\r\n\r\n")
    if end < 0:
        end = data.find(b"\n\n")
    head, body = (data, b"") if end < 0 else (data[: end + 2], data[end + 2 :])
    if not re.search(rb"^bcc[ \t]*:", head, re.I | re.M):
        return data
    return _BCC_FIELD.sub(b"", head) + body


def _tls_failure(
    e: BaseException, tls_error: type[Exception], cert_error: type[Exception]
) -> Exception:
    """The protocol's TLSError (or CertificateError) for a _core TLS failure."""
    if isinstance(e, _core.net.CertificateFailure):
        err = cert_error(str(e))
        err.reason = e.reason  # type: ignore[attr-defined]
        return err
    return tls_error(str(e))


TLSMode = Literal["starttls", "implicit"]


def _tls_arguments(
    tls: str | None,
    verify: bool,
    cafile: str | os.PathLike[str] | None,
    server_hostname: str | None,
    allow_plaintext_auth: bool | None,
) -> dict[str, Any]:
    """Checked TLS settings for the native clients."""
    if tls not in (None, "starttls", "implicit"):
        raise ValueError(f"tls must be None, 'starttls' or 'implicit', not {tls!r}")
    if cafile is not None:
        if not verify:
            raise ValueError("verify=False with a cafile: the CAs would not be used")
        cafile = os.fspath(cafile)
        if not os.path.isfile(cafile):
            raise FileNotFoundError(f"cafile not found: {cafile}")
    if tls is None and (cafile is not None or not verify or server_hostname is not None):
        raise ValueError("cafile, verify and server_hostname apply only with tls=")
    if server_hostname is not None and not re.fullmatch(r"[A-Za-z0-9.\-:_\[\]]+", server_hostname):
        raise ValueError(f"bad server_hostname: {server_hostname!r}")
    if allow_plaintext_auth is not None and not isinstance(allow_plaintext_auth, bool):
        raise TypeError("allow_plaintext_auth must be True, False or None")
    return {
        "tls": tls,
        "verify": bool(verify),
        "cafile": cafile,
        "server_hostname": server_hostname,
        "allow_plaintext_auth": allow_plaintext_auth,
    }


class _TLSState:
    """The connection's TLS state, the same for both clients."""

    _native: Any

    @property
    def tls_active(self) -> bool:
        """The connection is encrypted (STARTTLS/STLS done, or implicit TLS)."""
        return bool(self._native.tls_active)

    @property
    def tls_version(self) -> str:
        """'TLSv1.3', 'TLSv1.2'; '' without TLS."""
        return str(self._native.tls_version)

    @property
    def peer_certificate(self) -> bytes | None:
        """The server's certificate (DER), or None without TLS."""
        return bytes(self._native.peer_certificate) or None

    def _state(self) -> str:
        state = "connected" if self._native.connected else "closed"
        return state + ", TLS" if self._native.tls_active else state


Transfer = Literal["auto", "data", "bdat"]


def _check_address(a: str, what: str) -> str:
    if not isinstance(a, str):
        raise TypeError(f"{what} must be str, not {type(a).__name__}")
    if any(c in a for c in "\r\n\0"):
        raise ValueError(f"CR, LF or NUL in {what}: {a!r}")
    return a


def _envelope_recipients(recipients: Iterable[str | Address] | str | Address) -> list[str]:
    """RCPT TO addresses, by the rule of Message.build ("a@x.test, b@y.test" is
    two), plus the bare "postmaster" that RFC 5321 §4.5.1 allows."""
    if isinstance(recipients, tuple):  # a (display_name, address) pair, or a tuple of them
        return [a for _name, a in _mailboxes(recipients, "recipients")]
    items: Iterable[Any] = [recipients] if isinstance(recipients, (str, Address)) else recipients
    out: list[str] = []
    for item in items:
        if isinstance(item, str) and item.strip().lower() == "postmaster":
            out.append("postmaster")
        else:
            out += [a for _name, a in _mailboxes(item, "recipients")]
    return out


class SMTPClient(_TLSState):
    """A native SMTP client: one connection, many messages.

    EHLO (HELO as fallback); PIPELINING, SIZE, 8BITMIME, SMTPUTF8 and BDAT
    when offered and needed; dot-stuffing; the timeouts of RFC 5321
    §4.5.3.2, or ``timeout`` seconds for every wait.

    ``tls="starttls"`` says STARTTLS after EHLO and fails (SMTPTLSError) when
    the server does not offer it; ``tls="implicit"`` starts TLS at once
    (port 465). The certificate is verified (``verify=False`` to skip)
    against the system's CAs or ``cafile``, for ``server_hostname`` (default
    ``host``). With ``user`` and ``password`` the client logs in (AUTH,
    RFC 4954) with ``auth`` ("PLAIN", "LOGIN", "CRAM-MD5") or the strongest
    mechanism offered; outside TLS only when ``allow_plaintext_auth`` (None:
    only to a server on this host). Failures raise SMTPAuthenticationError.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 25,
        *,
        helo: str | None = None,
        timeout: float | None = None,
        connect_timeout: float = 30.0,
        pipelining: bool = True,
        transcript: bool = True,
        max_transcript_bytes: int = 64 * 1024,
        tls: TLSMode | None = None,
        verify: bool = True,
        cafile: str | os.PathLike[str] | None = None,
        server_hostname: str | None = None,
        user: str | None = None,
        password: str | None = None,
        auth: str | None = None,
        allow_plaintext_auth: bool | None = None,
    ) -> None:
        tls_args = _tls_arguments(tls, verify, cafile, server_hostname, allow_plaintext_auth)
        if (user is None) != (password is None):
            raise ValueError("give both user and password, or neither")
        if user is not None:
            _check_address(user, "the user name")
            _check_address(str(password), "the password")
        if auth is not None:
            if user is None:
                raise ValueError("auth names a mechanism: give user and password too")
            if auth.upper() not in ("PLAIN", "LOGIN", "CRAM-MD5"):
                raise ValueError(f"auth must be 'PLAIN', 'LOGIN' or 'CRAM-MD5', not {auth!r}")
        name = helo or socket.getfqdn() or "localhost"
        if not re.fullmatch(r"[A-Za-z0-9.\-\[\]:_]+", name):
            name = "localhost"
        if helo is not None and name != helo:
            raise ValueError(f"bad EHLO name: {helo!r}")
        if timeout is not None and timeout <= 0:
            raise ValueError("timeout must be positive")
        self.host, self.port = host, port
        self._native = _core.smtp.SmtpClient(
            host=host,
            port=port,
            helo_name=name,
            timeout=timeout,
            connect_timeout=connect_timeout,
            pipelining=pipelining,
            max_transcript_bytes=max_transcript_bytes if transcript else 0,
            user=user,
            password=password,
            auth=auth.upper() if auth else None,
            **tls_args,
        )
        try:
            self._native.connect()
        except _core.net.ConnectFailure as e:
            raise _connect_failure(
                e, SMTPConnectError, SMTPHostNotFoundError, SMTPConnectTimeoutError
            ) from None
        except _core.smtp.SmtpSessionFailure as e:
            raise _session_failure(e) from None
        except _core.net.TlsFailure as e:
            raise _tls_failure(e, SMTPTLSError, SMTPCertificateError) from None

    # -- sending ----------------------------------------------------------------
    @staticmethod
    def _envelope(
        message: Message | bytes | bytearray | memoryview,
        sender: str | Address | None,
        recipients: Iterable[str | Address] | None,
    ) -> tuple[str, list[str], bytes]:
        if isinstance(message, str):
            raise TypeError("send() takes a Message or bytes, not str")
        if isinstance(message, Message):
            msg: Message | None = message
            data = bytes(message)
        elif isinstance(message, (bytes, bytearray, memoryview)):
            msg, data = None, bytes(message)
        else:
            raise TypeError(f"send() takes a Message or bytes, not {type(message).__name__}")
        # Parsed only when the envelope has to come from the headers.
        if msg is None and (sender is None or recipients is None):
            msg = Message.parse(data)
        if sender is None:
            assert msg is not None
            author = msg.get("Sender")
            found = Address.parse(author) if author else msg.sender
            if found is None:
                raise ValueError("no sender given and the message has no From or Sender")
            sender_addr = found.address
        elif isinstance(sender, str) and sender == "":
            sender_addr = ""  # the null reverse-path <> (RFC 5321 §4.5.5)
        else:
            sender_addr = _mailbox(sender, "sender")[1]
        if recipients is None:
            assert msg is not None
            rcpts = [a.address for a in msg.recipients]
        else:
            rcpts = _envelope_recipients(recipients)
        if not rcpts:
            raise ValueError("no recipients given and the message has no To, Cc or Bcc")
        return sender_addr, rcpts, _without_bcc(data)

    @staticmethod
    def _result(sender_addr: str, native: _core.smtp.SendResult) -> SendResult:
        rcpt_replies = {addr: _reply(r) for addr, r in native.rcpts}
        accepted = [a for a, r in rcpt_replies.items() if r.ok]
        refused = {a: r for a, r in rcpt_replies.items() if r.code and not r.ok}
        return SendResult(
            sender_addr,
            accepted if native.ok else [],  # nobody got a refused message
            refused,
            _reply(native.data),
            _reply(native.mail),
            rcpt_replies,
            native.error,
            native.dsn_dropped,
        )

    def send(
        self,
        message: Message | bytes | bytearray | memoryview,
        sender: str | Address | None = None,
        recipients: Iterable[str | Address] | None = None,
        *,
        bdat: bool = False,
        transfer: Transfer = "auto",
        notify: NotifyArg = None,
        ret: Literal["FULL", "HDRS", "full", "hdrs"] | None = None,
        envid: str | None = None,
        orcpt: Mapping[str, str] | None = None,
        without_dsn: Literal["error", "drop"] = "error",
    ) -> SendResult:
        """Send one message. The envelope comes from Sender/From and To/Cc/Bcc
        when not given; a Bcc header is never sent.

        ``transfer``: "auto" sends with BDAT, in one round trip, when the
        server offers CHUNKING and PIPELINING, else with DATA; "data" or
        "bdat" (same as ``bdat=True``) force one.

        Delivery status notifications (RFC 3461): ``notify`` is NOTIFY for every
        recipient (``["SUCCESS", "DELAY"]``, ``"success,delay"``, ``"NEVER"``) or
        per recipient (``{"bob@x": ("SUCCESS",)}``); ``ret`` "FULL" or "HDRS";
        ``envid`` the envelope id reports will quote; ``orcpt`` the original
        recipient per address (``{"bob@x": "rfc822;Bob@X"}``). When the server
        does not offer DSN, ``without_dsn="error"`` (the default) raises
        SMTPNotSupportedError and sends nothing; ``"drop"`` sends the message
        without them, warns (DSNNotOfferedWarning) and sets
        ``result.dsn_dropped``. Bad values raise ValueError.

        Returns a SendResult (some recipients may be refused). Raises
        SMTPSenderRefused, SMTPRecipientsRefused (all refused), SMTPDataError,
        or SMTPServerDisconnected / SMTPTimeoutError when the session ends.
        """
        sender_addr, rcpts, data = self._envelope(message, sender, recipients)
        notify_lists, orcpt_list = _dsn_lists(rcpts, notify, orcpt)
        asked = any(notify_lists) or bool(orcpt_list) or ret is not None or envid is not None
        if without_dsn not in ("error", "drop"):
            raise ValueError('without_dsn must be "error" or "drop"')
        if asked and without_dsn == "error" and not self.extensions.get("dsn"):
            raise SMTPNotSupportedError(
                "the server does not offer DSN (RFC 3461): NOTIFY, RET, ENVID and ORCPT "
                'cannot be sent (without_dsn="drop" sends the message without them)'
            )
        try:
            native = self._native.send(
                sender_addr,
                rcpts,
                data,
                bdat,
                [],
                transfer,
                (ret or "").upper(),
                envid,
                notify_lists if any(notify_lists) else [],
                orcpt_list,
                without_dsn == "drop",
            )
        except _core.smtp.SmtpSessionFailure as e:
            raise _session_failure(e) from None
        if native.dsn_dropped:
            warnings.warn(
                "the server does not offer DSN: the message went without NOTIFY, RET, "
                "ENVID and ORCPT",
                DSNNotOfferedWarning,
                stacklevel=2,
            )
        ok, error = native.ok, native.error
        result = self._result(sender_addr, native)
        mail_reply, final_reply, refused = result.mail_reply, result.reply, result.refused
        accepted = [a for a, r in result.rcpt_replies.items() if r.ok]
        if not ok:
            if mail_reply.code and not mail_reply.ok:
                raise SMTPSenderRefused(
                    f"sender <{sender_addr}> refused: {mail_reply}", mail_reply, sender_addr
                )
            if mail_reply.ok and not accepted and refused:
                raise SMTPRecipientsRefused(
                    "all recipients refused: "
                    + "; ".join(f"<{a}>: {r}" for a, r in refused.items()),
                    refused,
                )
            raise SMTPDataError(
                f"message refused: {error or final_reply}",
                final_reply if final_reply.code else None,
            )
        return result

    def send_many(
        self,
        messages: Iterable[Message | bytes | bytearray | memoryview],
        sender: str | Address | None = None,
        recipients: Iterable[str | Address] | None = None,
        *,
        transfer: Transfer = "auto",
    ) -> list[SendResult]:
        """Send several messages over this connection, pipelined when the
        server offers PIPELINING (with CHUNKING, a window of messages goes out
        in one write), and return one SendResult per message, in order.

        ``sender`` and ``recipients``, when given, apply to every message;
        otherwise each message's headers give its envelope. Refusals do not
        raise: check ``result.ok``, ``result.refused`` and ``result.error``.
        Raises ValueError/TypeError before sending anything when a message
        has no usable envelope, and SMTPServerDisconnected / SMTPTimeoutError /
        SMTPProtocolError when the session ends.
        """
        rcpt_list = None
        if recipients is not None:
            rcpt_list = [recipients] if isinstance(recipients, (str, Address)) else list(recipients)
        batch = [self._envelope(m, sender, rcpt_list) for m in messages]
        try:
            natives = self._native.send_many(batch, transfer)
        except _core.smtp.SmtpSessionFailure as e:
            raise _session_failure(e) from None
        return [self._result(env[0], n) for env, n in zip(batch, natives)]

    def quit(self) -> None:
        """Say QUIT and close."""
        self._native.quit()

    def close(self) -> None:
        self._native.close()

    def __enter__(self) -> SMTPClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.quit()

    # -- state ----------------------------------------------------------------------
    @property
    def extensions(self) -> dict[str, Any]:
        """What the server's EHLO reply offered."""
        return dict(self._native.extensions)

    @property
    def greeting(self) -> Reply:
        return _reply(self._native.greeting)

    @property
    def transcript(self) -> str:
        """This session so far: ``S: 220 ...``, ``C: EHLO ...``."""
        return str(self._native.transcript)

    @property
    def messages_sent(self) -> int:
        return int(self._native.messages_sent)

    @property
    def authenticated(self) -> bool:
        return bool(self._native.authenticated)

    @property
    def auth_mechanism(self) -> str | None:
        """The AUTH mechanism used to log in, or None."""
        return str(self._native.auth_mechanism) or None

    def __repr__(self) -> str:
        return f"<mailroom.SMTPClient {self.host}:{self.port} {self._state()}>"


def send(
    message: Message | bytes,
    host: str = "127.0.0.1",
    port: int = 25,
    *,
    sender: str | None = None,
    recipients: Iterable[str] | None = None,
    **options: Any,
) -> SendResult:
    """Send one message over a fresh connection: ``mailroom.send(msg, host, port)``."""
    with SMTPClient(host, port, **options) as client:
        return client.send(message, sender=sender, recipients=recipients)


# -- POP3 ---------------------------------------------------------------------------
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


class POP3TLSError(POP3Error, TLSError):
    """STLS not offered or refused, or the TLS handshake failed."""


class POP3CertificateError(POP3TLSError, CertificateError):
    """The POP3 server's certificate did not verify."""


class POP3AuthenticationError(POP3Error, AuthenticationError):
    """The login was refused (``code`` is usually "AUTH"), or the client would
    not send the password outside TLS."""


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
            auth = (
                "plain"
                if any(
                    c.upper().startswith("SASL") and "PLAIN" in c.upper() for c in self.capabilities
                )
                else "user"
            )
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
        parts = self._run("STAT").text.split()
        return int(parts[0]), int(parts[1])

    def _listing(self, name: str, msg: int | None) -> Any:
        if msg is not None:
            return self._run(name, msg).text.split(None, 1)[1]
        body = self._run(name).body
        out = {}
        for line in body.decode("utf-8", "replace").splitlines():
            if line.strip():
                n, value = line.split(None, 1)
                out[int(n)] = value
        return out

    def list(self, msg: int | None = None) -> Any:
        """{number: size}, or the size of one message."""
        found = self._listing("LIST", msg)
        if msg is not None:
            return int(found.split()[0])
        return {n: int(v.split()[0]) for n, v in found.items()}

    def uidl(self, msg: int | None = None) -> Any:
        """{number: unique id}, or the id of one message."""
        found = self._listing("UIDL", msg)
        return found.strip() if msg is not None else {n: v.strip() for n, v in found.items()}

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
