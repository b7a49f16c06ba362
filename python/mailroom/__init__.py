"""mailroom: a mail engine in C++ for Python.

Parse, build and inspect mail natively (``Message``, ``mailroom.mime``), and
receive it with a native SMTP server (``Server``).
"""

from __future__ import annotations

from . import mime, store
from ._core import __version__
from .errors import (
    AuthenticationError,
    CertificateError,
    DSNNotOfferedWarning,
    POP3AuthenticationError,
    POP3CertificateError,
    POP3ConnectError,
    POP3ConnectTimeoutError,
    POP3Error,
    POP3HostNotFoundError,
    POP3ServerDisconnected,
    POP3TimeoutError,
    POP3TLSError,
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
    TLSError,
)
from .message import Address, Attachment, Defect, Message, Part
from .pop3 import POP3Client
from .queue import Clock, Queue, QueueEntry, QueueEvent, QueueRecipient
from .reports import DeliveryReport, Disposition, RecipientReport
from .server import Envelope, ImapReplyRule, ReplyRule, Server, Session
from .smtp import Reply, SendResult, SMTPClient, send

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
    "ImapReplyRule",
    "ReplyRule",
    "Server",
    "Session",
    "__version__",
    "mime",
    "store",
]
