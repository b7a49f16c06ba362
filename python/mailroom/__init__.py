"""mailroom: a mail engine in C++ for Python.

Parse, build and inspect mail natively (``Message``, ``mailroom.mime``), and
receive it with a native SMTP server (``Server``).
"""

from __future__ import annotations

from . import mime
from ._core import __version__
from .client import (
    AuthenticationError,
    CertificateError,
    POP3AuthenticationError,
    POP3CertificateError,
    POP3Client,
    POP3ConnectError,
    POP3ConnectTimeoutError,
    POP3Error,
    POP3HostNotFoundError,
    POP3ServerDisconnected,
    POP3TimeoutError,
    POP3TLSError,
    Reply,
    SendResult,
    SMTPAuthenticationError,
    SMTPCertificateError,
    SMTPClient,
    SMTPConnectError,
    SMTPConnectTimeoutError,
    SMTPDataError,
    SMTPError,
    SMTPHostNotFoundError,
    SMTPProtocolError,
    SMTPRecipientsRefused,
    SMTPSenderRefused,
    SMTPServerDisconnected,
    SMTPTimeoutError,
    SMTPTLSError,
    TLSError,
    send,
)
from .message import Address, Attachment, Defect, Message, Part
from .queue import Clock, Queue, QueueEntry, QueueEvent, QueueRecipient
from .server import Envelope, ReplyRule, Server, Session

__all__ = [
    "AuthenticationError",
    "CertificateError",
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
    "SMTPProtocolError",
    "SMTPRecipientsRefused",
    "SMTPSenderRefused",
    "SMTPServerDisconnected",
    "SMTPTLSError",
    "SMTPTimeoutError",
    "SendResult",
    "TLSError",
    "send",
    "Address",
    "Attachment",
    "Clock",
    "Defect",
    "Envelope",
    "Message",
    "Part",
    "Queue",
    "QueueEntry",
    "QueueEvent",
    "QueueRecipient",
    "ReplyRule",
    "Server",
    "Session",
    "__version__",
    "mime",
]
