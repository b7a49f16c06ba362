"""Reading delivery reports: DSNs (RFC 3464) and read receipts (MDNs, RFC 8098).

``DeliveryReport.parse(message)`` finds the machine-readable part of a
report -- ``message/delivery-status`` or ``message/disposition-notification``
(and their RFC 6533 ``global-`` forms), inside a ``multipart/report``
(RFC 6522) or wherever a sender put it -- and turns it into one record per
recipient: action, status, diagnostic, remote MTA. It reads what mailroom
writes and the shapes Postfix, Exchange and others send::

    report = DeliveryReport.parse(bounce)
    for r in report.recipients:
        print(r.final_recipient, r.action, r.status, r.diagnostic)

The report is read natively (the MIME tree, the field groups, the field
syntax); this module gives the records their Python types.
"""

from __future__ import annotations

import datetime as _dt
import email.utils
from dataclasses import dataclass, field

from . import _core
from .message import Message, Part

__all__ = ["DeliveryReport", "Disposition", "RecipientReport", "is_report"]


@dataclass(frozen=True)
class Disposition:
    """An MDN's Disposition field (RFC 8098 §3.2.6):
    ``manual-action/MDN-sent-manually; displayed``."""

    action_mode: str  # "manual-action" or "automatic-action"
    sending_mode: str  # "MDN-sent-manually" or "MDN-sent-automatically"
    type: str  # "displayed", "deleted", "dispatched", "processed"
    modifiers: tuple[str, ...] = ()  # "error", ... (after "/")


@dataclass(frozen=True)
class RecipientReport:
    """What a report says about one recipient."""

    final_recipient: str  # the address, without its type ("rfc822;")
    action: str  # failed, delayed, delivered, relayed, expanded; for an MDN its disposition type
    status: str | None  # RFC 3463 "5.1.1"; None for an MDN
    original_recipient: str | None = None  # from ORCPT, without its type
    diagnostic: str | None = None  # "550 5.1.1 <bob@x>: no such user" (its type dropped)
    diagnostic_type: str | None = None  # "smtp", "X-Postfix", ...
    remote_mta: str | None = None  # the host name, without "dns;"
    last_attempt: _dt.datetime | None = None
    will_retry_until: _dt.datetime | None = None
    fields: dict[str, str] = field(default_factory=dict)  # every field of the block

    @property
    def failed(self) -> bool:
        return self.action == "failed"


@dataclass(frozen=True)
class DeliveryReport:
    """A delivery status notification or a message disposition notification."""

    kind: str  # "delivery-status" or "disposition-notification"
    recipients: list[RecipientReport]
    reporting_mta: str | None = None  # Reporting-MTA (a DSN) or Reporting-UA (an MDN)
    envelope_id: str | None = None  # Original-Envelope-Id (RFC 3464 §2.2.1)
    arrival_date: _dt.datetime | None = None
    original_message_id: str | None = None  # an MDN's Original-Message-ID
    disposition: Disposition | None = None  # an MDN's Disposition
    fields: dict[str, str] = field(default_factory=dict)  # the per-message fields
    # The message the report is about: the whole of it (message/rfc822), or
    # its header section only (text/rfc822-headers); None when not returned.
    original: Message | None = None

    @classmethod
    def parse(cls, message: Message | bytes | bytearray | memoryview) -> DeliveryReport:
        """Read a report; ValueError when ``message`` holds none."""
        msg = message if isinstance(message, Message) else Message.parse(message)
        report = msg._core.delivery_report()
        kind = report.kind
        if not kind:
            raise ValueError(
                "not a delivery report: no message/delivery-status or "
                "message/disposition-notification part"
            )
        fields = _fields(report.per_message)
        original = _original(msg, report.original_part, report.original_headers_only)
        if kind == "disposition-notification":
            return cls._mdn(fields, original)
        return cls(
            kind=kind,
            recipients=[_recipient(_fields(group)) for group in report.recipients],
            reporting_mta=_without_type(fields.get("reporting-mta")),
            envelope_id=fields.get("original-envelope-id"),
            arrival_date=_date(fields.get("arrival-date")),
            fields=fields,
            original=original,
        )

    @classmethod
    def _mdn(cls, f: dict[str, str], original: Message | None) -> DeliveryReport:
        found = _core.mime.parse_disposition(f.get("disposition", ""))
        disposition = (
            Disposition(found.action_mode, found.sending_mode, found.type, tuple(found.modifiers))
            if found
            else None
        )
        final = _without_type(f.get("final-recipient")) or ""
        record = RecipientReport(
            final_recipient=final,
            action=disposition.type if disposition else "",
            status=None,
            original_recipient=_without_type(f.get("original-recipient")),
            fields=f,
        )
        return cls(
            kind="disposition-notification",
            recipients=[record],
            # Reporting-UA: ua-name [";" ua-product] (RFC 8098 §3.2.1): the name.
            reporting_mta=f.get("reporting-ua", "").split(";")[0].strip() or None,
            original_message_id=f.get("original-message-id"),
            disposition=disposition,
            fields=f,
            original=original,
        )

    def __getitem__(self, address: str) -> RecipientReport:
        """The record for a final recipient (case-insensitive)."""
        for r in self.recipients:
            if r.final_recipient.lower() == address.lower():
                return r
        raise KeyError(address)


def is_report(message: Message) -> bool:
    """Whether ``message`` carries a DSN or an MDN."""
    return bool(message._core.delivery_report().kind)


# -- the fields' Python types -----------------------------------------------------------
def _fields(pairs: list[tuple[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in pairs:
        out.setdefault(name, value)  # the first of a repeated field counts
    return out


def _original(msg: Message, index: int, headers_only: bool) -> Message | None:
    if index < 0:
        return None
    part = Part(msg, index)
    if headers_only:
        headers = part.data
        return Message.parse(headers if headers.endswith(b"\r\n\r\n") else headers + b"\r\n")
    return part.as_message() if part.is_message else Message.parse(part.data)


def _without_type(value: str | None) -> str | None:
    """ "rfc822; bob@x" -> "bob@x" (RFC 3464 §2.1.2 address-type ";" address)."""
    return None if value is None else str(_core.mime.report_without_type(value)[1])


def _date(value: str | None) -> _dt.datetime | None:
    if not value:
        return None
    try:
        return email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None


def _recipient(f: dict[str, str]) -> RecipientReport:
    diagnostic = f.get("diagnostic-code")
    diagnostic_type: str | None = None
    if diagnostic is not None and ";" in diagnostic:
        diagnostic_type, diagnostic = _core.mime.report_without_type(diagnostic)
    return RecipientReport(
        final_recipient=_without_type(f.get("final-recipient")) or "",
        action=_core.mime.report_first_word(f.get("action", "")).lower(),
        status=_core.mime.report_first_word(f.get("status", "")) or None,
        original_recipient=_without_type(f.get("original-recipient")),
        diagnostic=diagnostic,
        diagnostic_type=diagnostic_type,
        remote_mta=_without_type(f.get("remote-mta")),
        last_attempt=_date(f.get("last-attempt-date")),
        will_retry_until=_date(f.get("will-retry-until")),
        fields=f,
    )
