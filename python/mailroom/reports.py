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

The MIME structure is parsed natively (:class:`mailroom.Message`); this
module only reads the report's fields.
"""

from __future__ import annotations

import datetime as _dt
import email.utils
from dataclasses import dataclass, field

from .message import Message, Part

__all__ = ["DeliveryReport", "Disposition", "RecipientReport", "is_report"]

_STATUS_TYPES = ("message/delivery-status", "message/global-delivery-status")
_MDN_TYPES = ("message/disposition-notification", "message/global-disposition-notification")
_MAX_FIELDS = 10_000  # a report with more lines than this is read only so far


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
        status_part = _find(msg, _STATUS_TYPES + _MDN_TYPES)
        if status_part is None:
            raise ValueError(
                "not a delivery report: no message/delivery-status or "
                "message/disposition-notification part"
            )
        blocks = _blocks(status_part.data)
        per_message = blocks[0] if blocks else {}
        kind = "delivery-status"
        if status_part.content_type in _MDN_TYPES:
            kind = "disposition-notification"
        original = _original(msg, status_part)
        if kind == "disposition-notification":
            return cls._mdn(per_message, original)
        return cls(
            kind=kind,
            recipients=[_recipient(b) for b in blocks[1:] if b],
            reporting_mta=_without_type(per_message.get("reporting-mta")),
            envelope_id=per_message.get("original-envelope-id"),
            arrival_date=_date(per_message.get("arrival-date")),
            fields=per_message,
            original=original,
        )

    @classmethod
    def _mdn(cls, f: dict[str, str], original: Message | None) -> DeliveryReport:
        disposition = _disposition(f.get("disposition", ""))
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
    return _find(message, _STATUS_TYPES + _MDN_TYPES) is not None


# -- reading ---------------------------------------------------------------------------
def _find(msg: Message, types: tuple[str, ...]) -> Part | None:
    for part in msg.walk():
        if part.content_type in types:
            return part
    return None


def _original(msg: Message, status_part: Part) -> Message | None:
    parent = status_part.parent
    siblings = parent.children if parent is not None else []
    for part in siblings[siblings.index(status_part) + 1 :] if status_part in siblings else []:
        if part.content_type in ("message/rfc822", "message/global"):
            return part.as_message() if part.is_message else Message.parse(part.data)
        if part.content_type in ("text/rfc822-headers", "message/global-headers"):
            headers = part.data
            return Message.parse(headers if headers.endswith(b"\r\n\r\n") else headers + b"\r\n")
    return None


def _blocks(data: bytes) -> list[dict[str, str]]:
    """The field groups of a delivery-status body (RFC 3464 §2.1): lines with
    continuation lines joined, groups split at empty lines, names lower-cased."""
    text = data.decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n")
    blocks: list[dict[str, str]] = []
    current: dict[str, str] = {}
    name = ""
    for count, line in enumerate(text.split("\n")):
        if count > _MAX_FIELDS:
            break
        if not line.strip():
            if current:
                blocks.append(current)
                current, name = {}, ""
            continue
        if line[0] in " \t" and name:
            current[name] += " " + line.strip()
            continue
        key, sep, value = line.partition(":")
        if not sep:
            continue  # not a field: skipped, as a lenient reader does
        name = key.strip().lower()
        current.setdefault(name, value.strip())
    if current:
        blocks.append(current)
    return blocks


def _without_type(value: str | None) -> str | None:
    """ "rfc822; bob@x" -> "bob@x" (RFC 3464 §2.3.1 address-type ";" address)."""
    if value is None:
        return None
    kind, sep, rest = value.partition(";")
    return rest.strip() if sep else value.strip()


def _strip_comment(value: str) -> str:
    # "5.1.1 (bad destination mailbox address)": the status itself is the first word.
    return value.split("(", 1)[0].split()[0] if value.split() else ""


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
    if diagnostic is not None:
        kind, sep, rest = diagnostic.partition(";")
        if sep:
            diagnostic_type, diagnostic = kind.strip(), rest.strip()
    return RecipientReport(
        final_recipient=_without_type(f.get("final-recipient")) or "",
        action=f.get("action", "").split("(", 1)[0].strip().lower(),
        status=_strip_comment(f.get("status", "")) or None,
        original_recipient=_without_type(f.get("original-recipient")),
        diagnostic=diagnostic,
        diagnostic_type=diagnostic_type,
        remote_mta=_without_type(f.get("remote-mta")),
        last_attempt=_date(f.get("last-attempt-date")),
        will_retry_until=_date(f.get("will-retry-until")),
        fields=f,
    )


def _disposition(value: str) -> Disposition | None:
    # disposition-field = "Disposition" ":" action-mode "/" sending-mode ";"
    #                     disposition-type [ "/" disposition-modifier *( "," ... ) ]
    modes, sep, rest = value.partition(";")
    if not sep:
        return None
    action_mode, _, sending_mode = modes.strip().partition("/")
    dtype, _, mods = rest.strip().partition("/")
    modifiers = tuple(m.strip().lower() for m in mods.split(",") if m.strip())
    return Disposition(
        action_mode.strip().lower(), sending_mode.strip(), dtype.strip().lower(), modifiers
    )
