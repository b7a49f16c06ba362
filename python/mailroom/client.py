"""The SMTP and POP3 clients, by their old module name.

They live in :mod:`mailroom.smtp`, :mod:`mailroom.pop3` and
:mod:`mailroom.errors`; this module re-exports the same names.
"""

from __future__ import annotations

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
from .pop3 import POP3Client
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
]
