"""The native SMTP client: the seeds' user agent, sending.

    with mailroom.SMTPClient("127.0.0.1", 2525) as smtp:
        result = smtp.send(Message.build(sender="a@example.org", to="b@example.org", text="hi"))

TLS: ``tls="starttls"`` (STARTTLS, RFC 3207) or ``tls="implicit"`` (RFC
8314: port 465), verified against the system's CAs or ``cafile``, for the name
``server_hostname`` (default: the host). Passwords go out only inside TLS
unless ``allow_plaintext_auth`` (default: only to a server on this host, as
the Server's own rule).

Network waits run natively with the GIL released.
"""

from __future__ import annotations

import os
import socket
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Union

from . import _core
from ._client_tls import TLSMode, _tls_arguments, _TLSState
from .errors import (
    DSNNotOfferedWarning,
    SMTPAuthenticationError,
    SMTPCertificateError,
    SMTPConnectError,
    SMTPConnectTimeoutError,
    SMTPDataError,
    SMTPError,
    SMTPHostNotFoundError,
    SMTPNotSupportedError,
    SMTPProtocolError,
    SMTPRecipientsRefused,
    SMTPSenderRefused,
    SMTPServerDisconnected,
    SMTPTimeoutError,
    SMTPTLSError,
    _connect_failure,
    _tls_failure,
)
from .message import Address, Message, _mailbox, _mailboxes

__all__ = [
    "Reply",
    "SMTPClient",
    "SendResult",
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


Transfer = Literal["auto", "data", "bdat"]


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
        # The native client checks the options (ValueError naming the rule).
        tls_args = _tls_arguments(tls, verify, cafile, server_hostname, allow_plaintext_auth)
        self.host, self.port = host, port
        self._native = _core.smtp.SmtpClient(
            host=host,
            port=port,
            helo_name=helo,
            local_name=socket.getfqdn(),
            timeout=timeout,
            connect_timeout=connect_timeout,
            pipelining=pipelining,
            max_transcript_bytes=max_transcript_bytes if transcript else 0,
            user=user,
            password=password,
            auth=auth,
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
        return sender_addr, rcpts, _core.mime.without_bcc(data)

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
