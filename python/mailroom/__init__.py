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
    DSNNotOfferedWarning,
    POP3AuthenticationError,
    POP3CertificateError,
    POP3Client,
    POP3Error,
    POP3TLSError,
    Reply,
    SendResult,
    SMTPAuthenticationError,
    SMTPCertificateError,
    SMTPClient,
    SMTPConnectError,
    SMTPDataError,
    SMTPError,
    SMTPNotSupportedError,
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
from .reports import DeliveryReport, Disposition, RecipientReport
from .server import Envelope, ReplyRule, Server, Session

__all__ = [
    "AuthenticationError",
    "CertificateError",
    "DSNNotOfferedWarning",
    "POP3AuthenticationError",
    "POP3CertificateError",
    "POP3Client",
    "POP3Error",
    "POP3TLSError",
    "Reply",
    "SMTPAuthenticationError",
    "SMTPCertificateError",
    "SMTPClient",
    "SMTPConnectError",
    "SMTPDataError",
    "SMTPError",
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
    "Address",
    "Attachment",
    "Clock",
    "Defect",
    "DeliveryReport",
    "Disposition",
    "Envelope",
    "Message",
    "Part",
    "Queue",
    "QueueEntry",
    "QueueEvent",
    "QueueRecipient",
    "RecipientReport",
    "ReplyRule",
    "Server",
    "Session",
    "__version__",
    "mime",
]
