"""Messages: parse, inspect and build RFC 5322 + MIME mail.

The native engine keeps a parsed message's original bytes and describes its
MIME tree as spans into them: ``bytes(Message.parse(data)) == data`` always,
and nothing is decoded until it is asked for.
"""

from __future__ import annotations

import datetime as _dt
import email.message
import email.policy
import functools
import html as _html
import mimetypes
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO, NamedTuple, Union

from . import _core
from ._core.mime import ParsedMessage
from ._replies import Replies

__all__ = ["Address", "Attachment", "DecodedPart", "Defect", "Message", "Part", "AttachmentInput"]

_DEFAULT_MAX_HEADER_BYTES = 1 << 20


@dataclass(frozen=True)
class Address:
    """One mailbox: ``Address("Zoë", "zoe@example.org")``."""

    display_name: str
    address: str
    group: str = ""

    @classmethod
    def parse(cls, value: str | bytes) -> Address:
        """The first address in ``value`` (``"Zoë <zoe@example.org>"``)."""
        found = _core.mime.parse_address_list(value)
        if not found:
            raise ValueError(f"no address in {value!r}")
        return cls._from_native(found[0])

    @classmethod
    def _from_native(cls, a: _core.mime.Address) -> Address:
        return cls(a.display_name, a.address, a.group)

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2]

    @property
    def local_part(self) -> str:
        return self.address.rpartition("@")[0]

    def __str__(self) -> str:
        if not self.display_name:
            return self.address
        name = self.display_name
        if any(c in name for c in '()<>[]:;@\\,."'):
            name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return f"{name} <{self.address}>"


@dataclass(frozen=True)
class Defect:
    """Something malformed the parser noticed and worked around."""

    kind: str
    detail: str
    part: int
    offset: int

    def __str__(self) -> str:
        return f"{self.kind} at byte {self.offset}: {self.detail}"


def _to_bytes(data: object, what: str) -> bytes:
    if isinstance(data, str):
        raise TypeError(
            f"{what} takes the message as bytes, not str; "
            "encode it first (mail is bytes on the wire), e.g. data.encode(); "
            "for a file, pass its path (one that exists) or the file opened with 'rb'"
        )
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    raise TypeError(f"{what} takes bytes, not {type(data).__name__}")


class Part:
    """One node of a message's MIME tree (a container or a leaf)."""

    __slots__ = ("_core", "_index", "_message")
    _core: ParsedMessage
    _index: int

    def __init__(self, message: Message, index: int) -> None:
        self._message = message
        self._core = message._core
        self._index = index

    # -- identity and structure -------------------------------------------------
    @property
    def index(self) -> int:
        """Position in depth-first order; 0 is the message itself."""
        return self._index

    @property
    def parent(self) -> Part | None:
        p = self._core.parent(self._index)
        return None if p < 0 else Part(self._message, p)

    @property
    def depth(self) -> int:
        return int(self._core.depth(self._index))

    @property
    def children(self) -> list[Part]:
        return [Part(self._message, i) for i in self._core.children(self._index)]

    @property
    def is_multipart(self) -> bool:
        return bool(self._core.is_multipart(self._index))

    @property
    def is_message(self) -> bool:
        """True for message/rfc822 parts: their child is the embedded message."""
        return bool(self._core.is_message(self._index))

    def walk(self) -> Iterator[Part]:
        """This part and every part below it, depth first."""
        message = self._message
        for i in self._core.walk(self._index):
            yield Part(message, i)

    def decoded_parts(self) -> list[DecodedPart]:
        """This part and every part below it, depth first, each with its
        decoded headers and content, all decoded in one native call (the GIL
        released once): what ``walk()`` with ``headers`` and ``text`` or
        ``data`` of every part gives, at a fraction of the calls. The content
        is the text (str) of a text/* leaf, the decoded bytes of any other
        leaf, and None for a multipart or message/rfc822 container (its parts
        follow it)."""
        # The rows are made natively, as DecodedPart tuples, the Part of each
        # by Part(message, index).
        return self._core.contents(self._index, functools.partial(Part, self._message), DecodedPart)

    # -- headers ----------------------------------------------------------------
    @property
    def headers(self) -> list[tuple[str, str]]:
        """(name, decoded value) for every header field, in order."""
        return self._core.decoded_headers(self._index)

    @property
    def raw_headers(self) -> list[tuple[str, bytes]]:
        """(name, raw folded value) for every header field, in order."""
        return list(self._core.headers(self._index))

    def __getitem__(self, name: str) -> str | None:
        raw = self._core.header(self._index, name)
        return None if raw is None else _core.mime.decode_header(raw)

    def get(self, name: str, default: Any = None) -> Any:
        value = self[name]
        return default if value is None else value

    def get_all(self, name: str) -> list[str]:
        return [_core.mime.decode_header(r) for r in self._core.header_all(self._index, name)]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._core.header(self._index, name) is not None

    # -- MIME -------------------------------------------------------------------
    @property
    def content_type(self) -> str:
        """Lower-case ``type/subtype`` with RFC 2045 defaults applied."""
        return str(self._core.content_type(self._index))

    @property
    def maintype(self) -> str:
        return self.content_type.partition("/")[0]

    @property
    def subtype(self) -> str:
        return self.content_type.partition("/")[2]

    @property
    def params(self) -> dict[str, str]:
        """Content-Type parameters (RFC 2231 joined and decoded)."""
        return dict(self._core.params(self._index))

    @property
    def disposition(self) -> str | None:
        d = self._core.disposition(self._index)
        return d or None

    @property
    def disposition_params(self) -> dict[str, str]:
        return dict(self._core.disposition_params(self._index))

    @property
    def transfer_encoding(self) -> str:
        return str(self._core.transfer_encoding(self._index))

    @property
    def charset(self) -> str | None:
        c = self._core.charset(self._index)
        return c.lower() if c else None

    @property
    def filename(self) -> str | None:
        f = self._core.filename(self._index)
        return f if f else None

    @property
    def is_attachment(self) -> bool:
        return bool(self._core.is_attachment(self._index))

    # -- content ----------------------------------------------------------------
    @property
    def data(self) -> bytes:
        """Decoded bytes of a leaf (Content-Transfer-Encoding undone).

        For a message/rfc822 part, the embedded message's bytes. For a
        multipart container, its raw body.
        """
        return bytes(self._core.decoded(self._index)[0])

    @property
    def size(self) -> int:
        """The decoded size in bytes (``len(part.data)``): what the attachment
        holds once its Content-Transfer-Encoding is undone."""
        return len(self.data)

    @property
    def encoded_size(self) -> int:
        """The size in bytes of the body as it stands in the message (base64 or
        quoted-printable included), without the part's headers."""
        return len(self.body_raw)

    @property
    def text(self) -> str | None:
        """The decoded text of a text/* leaf, by its charset; None otherwise."""
        # A text/* type is never a multipart's (a multipart whose boundary
        # never appears becomes text/plain, and a leaf).
        if not self._core.content_type(self._index).startswith("text/"):
            return None
        return self._core.text(self._index)[0]

    @property
    def raw(self) -> bytes:
        """The part's bytes as they stand in the message (headers and body)."""
        return bytes(self._core.part_bytes(self._index))

    @property
    def body_raw(self) -> bytes:
        return bytes(self._core.body_raw(self._index))

    @property
    def preamble(self) -> bytes:
        return bytes(self._core.preamble(self._index))

    @property
    def epilogue(self) -> bytes:
        return bytes(self._core.epilogue(self._index))

    def as_message(self) -> Message:
        """A message/rfc822 part's embedded message, as a Message of its own."""
        if not self.is_message:
            raise ValueError(f"part {self._index} is {self.content_type}, not a message")
        (child,) = self._core.children(self._index)
        return Message.parse(self._core.part_bytes(child))

    def __repr__(self) -> str:
        bits = [self.content_type]
        if self.filename:
            bits.append(f"filename={self.filename!r}")
        if not self.is_multipart and not self.is_message:
            bits.append(_sizes_text(self))
        return f"<Part {self._index} {' '.join(bits)}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Part) and other._core is self._core and other._index == self._index

    def __hash__(self) -> int:
        return hash((id(self._core), self._index))


class DecodedPart(NamedTuple):
    """One part of ``Part.decoded_parts()``: the part, its header fields
    (name, decoded value) in order, and its content (str for a text/* leaf,
    bytes for another leaf, None for a container)."""

    part: Part
    headers: list[tuple[str, str]]
    content: str | bytes | None


def _sizes_text(part: Part) -> str:
    """A leaf's sizes, labelled: "309 bytes decoded, 424 encoded" (one figure
    when the two agree, as for 7bit text)."""
    decoded, encoded = part.size, part.encoded_size
    if decoded == encoded:
        return f"{decoded} bytes"
    return f"{decoded} bytes decoded, {encoded} encoded"


# An attachment to build: a path, or (filename, data[, content_type]).
AttachmentInput = Union[str, "os.PathLike[str]", tuple[str, bytes], tuple[str, bytes, str]]

Attachment = Part  # what msg.attachments yields: parts with filename/data/...

AddressInput = Union[str, Address, tuple[str, str]]


def _addresses(value: AddressInput, what: str) -> list[tuple[str, str]]:
    """The (display_name, address) pairs one argument stands for. A str is read
    as an address header would be, strictly: "a@x.test, Bo <b@y.test>" is two;
    CR, LF or NUL, white space inside an address, groups and empty elements
    raise ValueError naming the rule (the native parse_address_argument)."""
    if isinstance(value, str):
        return [
            (a.display_name.strip(), a.address)
            for a in _core.mime.parse_address_argument(value, what)
        ]
    if isinstance(value, Address):
        name, addr = value.display_name, value.address
    elif isinstance(value, tuple):
        if len(value) != 2 or not all(isinstance(v, str) for v in value):
            raise ValueError(f"an address tuple is (display_name, address), got {value!r}")
        name, addr = value
    else:
        raise TypeError(f"an address is a str, Address or (name, address), not {value!r}")
    if any(c in name for c in "\r\n\0"):
        raise ValueError(f"CR, LF or NUL in the display name of {what}: {name!r}")
    found = _core.mime.parse_address_argument(addr, what)
    if len(found) != 1 or found[0].display_name:
        raise ValueError(f"{what}: {addr!r} is not one bare address (local-part@domain)")
    return [(name.strip(), found[0].address)]


def _mailbox(value: AddressInput, what: str = "sender") -> tuple[str, str]:
    """Exactly one address (the sender)."""
    found = _addresses(value, what)
    if len(found) != 1:
        raise ValueError(f"{what} is one address, got {len(found)}: {value!r}")
    return found[0]


def _mailboxes(
    values: AddressInput | Iterable[AddressInput] | None, what: str = "address"
) -> list[tuple[str, str]]:
    """Every address of a to=/cc=/bcc= argument: one address, a
    comma-separated str, or an iterable of either."""
    if values is None:
        return []
    if isinstance(values, (str, Address)):
        return _addresses(values, what)
    if (
        isinstance(values, tuple)
        and len(values) == 2
        and isinstance(values[0], str)
        and isinstance(values[1], str)
        and "@" not in values[0]
        and "@" in values[1]
    ):
        return _addresses((values[0], values[1]), what)  # one (display_name, address) pair
    return [pair for v in values for pair in _addresses(v, what)]


def _attachment(item: AttachmentInput) -> tuple[str, bytes, str]:
    if isinstance(item, (str, os.PathLike)):
        path = os.fspath(item)
        with open(path, "rb") as f:
            data = f.read()
        filename = os.path.basename(path)
        ctype = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        return filename, data, ctype
    if isinstance(item, tuple) and len(item) in (2, 3):
        filename = item[0]
        data = item[1]
        if not isinstance(filename, str):
            raise TypeError(f"attachment filename must be str, not {type(filename).__name__}")
        if isinstance(data, str):
            raise TypeError(f"attachment data for {filename!r} must be bytes, not str")
        ctype = (
            item[2]
            if len(item) == 3
            else (mimetypes.guess_type(filename)[0] or "application/octet-stream")
        )
        if "/" not in ctype:
            raise ValueError(f"content type must be 'type/subtype', got {ctype!r}")
        return filename, bytes(data), ctype
    raise TypeError(
        f"an attachment is a path or (filename, data[, content_type]), not {type(item).__name__}"
    )


class Message(Part, Replies):
    """A mail message (RFC 5322 + MIME), parsed natively.

    ``Message.parse(data)`` reads bytes; ``Message.build(...)`` writes a new
    message; ``msg.reply(...)``, ``msg.reply_all(...)`` and ``msg.forward(...)``
    answer it; ``bytes(msg)`` gives the bytes on the wire.
    """

    __slots__ = (
        "_bcc",
        "envelope",
        "source",
        "offset",
        "folder",
        "flags",
        "uid",
        "internal_date",
        "_unix_from",
        "_source_defects",
        "__weakref__",
    )

    def __init__(self, core: ParsedMessage, bcc: Sequence[Address] = ()) -> None:
        self._core = core
        self._index = 0
        self._bcc = list(bcc)
        self.envelope: Any = None
        # Where an archive reader found the message (mailroom.read and friends):
        # the file, the byte offset of its entry in an mbox (None elsewhere), the
        # Maildir++ folder ("INBOX", "Work/2024") and the flags ("\\Seen", ...)
        # where the format has them; None when not known.
        self.source: str | None = None
        self.offset: int | None = None
        self.folder: str | None = None
        self.flags: list[str] | None = None
        # From an IMAP server: the message's UID and INTERNALDATE (UTC).
        self.uid: int | None = None
        self.internal_date: _dt.datetime | None = None
        self._unix_from: str | None = None
        self._source_defects: list[Defect] = []

    @property
    def _message(self) -> Message:  # type: ignore[override]
        # A property, not a stored self-reference: no reference cycle, so a
        # message's memory goes back as soon as the last reference does.
        return self

    # -- construction -----------------------------------------------------------
    @classmethod
    def parse(
        cls,
        data: bytes | bytearray | memoryview | str | os.PathLike[str] | BinaryIO,
        *,
        max_depth: int = 100,
        max_parts: int = 10_000,
        max_header_bytes: int = _DEFAULT_MAX_HEADER_BYTES,
        max_headers: int = 10_000,
    ) -> Message:
        """Parse a message from bytes, a path (``pathlib.Path``, or a str naming
        an existing file) or a binary file object. Never fails on malformed
        mail: see ``defects``."""
        source: str | None = None
        if isinstance(data, os.PathLike) or (
            isinstance(data, str) and "\n" not in data and os.path.isfile(data)
        ):
            source = os.fspath(data)
            with open(source, "rb") as f:
                raw = f.read()
        elif hasattr(data, "read") and not isinstance(data, (bytes, bytearray, memoryview)):
            raw = data.read()
            if not isinstance(raw, bytes):
                raise TypeError(
                    "Message.parse() reads a file opened in binary mode ('rb'), "
                    f"not one that gives {type(raw).__name__}"
                )
        else:
            raw = _to_bytes(data, "Message.parse()")
        for name, value in (
            ("max_depth", max_depth),
            ("max_parts", max_parts),
            ("max_header_bytes", max_header_bytes),
            ("max_headers", max_headers),
        ):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        core = _core.mime.ParsedMessage.parse(
            raw,
            max_depth=max_depth,
            max_parts=max_parts,
            max_header_bytes=max_header_bytes,
            max_headers=max_headers,
        )
        msg = cls(core)
        msg.source = source
        return msg

    @classmethod
    def build(
        cls,
        sender: AddressInput | None = None,
        to: AddressInput | Iterable[AddressInput] | None = None,
        cc: AddressInput | Iterable[AddressInput] | None = None,
        bcc: AddressInput | Iterable[AddressInput] | None = None,
        subject: str | None = None,
        text: str | None = None,
        html: str | None = None,
        attachments: Iterable[AttachmentInput] = (),
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        *,
        date: str | _dt.datetime | None = None,
        message_id: str | None = None,
        reply_to: AddressInput | Iterable[AddressInput] | None = None,
        disposition_notification_to: AddressInput | None = None,
    ) -> Message:
        """Build a new message, encoded for the wire.

        text + html give multipart/alternative; attachments (paths or
        ``(filename, data[, content_type])``) give multipart/mixed. Non-ASCII
        headers use RFC 2047, non-ASCII filenames RFC 2231. Bcc stays on the
        object (``msg.bcc``) and never appears in ``bytes(msg)``.

        Addresses (``sender``, ``to``, ``cc``, ``bcc``, ``reply_to``) are a str,
        an ``Address``, a ``(display_name, address)`` tuple, or a list of them.
        A str is read as an address header: ``"a@x.test, Bo <b@y.test>"`` is two
        addresses. CR, LF or NUL, white space inside an address (two
        addresses without a comma) or an empty element raise ValueError.

        ``disposition_notification_to`` asks for a read receipt (RFC 8098 §2.1).
        """
        frm = _mailbox(sender, "sender") if sender is not None else None
        extra: list[tuple[str, str]] = []
        if headers:
            items = headers.items() if isinstance(headers, Mapping) else headers
            for name, value in items:
                if not isinstance(name, str) or not isinstance(value, str):
                    raise TypeError(f"header {name!r} must map str to str")
                extra.append((name, value))
        if disposition_notification_to is not None:
            extra.append(
                (
                    "Disposition-Notification-To",
                    f"<{_mailbox(disposition_notification_to, 'disposition_notification_to')[1]}>",
                )
            )
        if isinstance(date, _dt.datetime):
            import email.utils

            if date.tzinfo is None:
                raise ValueError("date must be an aware datetime (give it a tzinfo)")
            date = email.utils.format_datetime(date)
        for what, value in (("subject", subject), ("date", date), ("message_id", message_id)):
            if value is not None and ("\r" in value or "\n" in value):
                raise ValueError(f"CR or LF in {what}: {value!r}")
        for what, value in (("text", text), ("html", html), ("subject", subject)):
            if value is not None and not isinstance(value, str):
                raise TypeError(f"{what} must be str, not {type(value).__name__}")
        atts = [_attachment(a) for a in attachments]
        raw = _core.mime.build_message(
            frm,
            _mailboxes(to, "to"),
            _mailboxes(cc, "cc"),
            subject,
            text,
            html,
            atts,
            extra,
            date,
            message_id,
            _mailboxes(reply_to, "reply_to"),
        )
        msg = cls.parse(raw)
        msg._bcc = [Address(n, a) for n, a in _mailboxes(bcc, "bcc")]
        return msg

    @classmethod
    def from_email(cls, em: email.message.Message) -> Message:
        """From a Python ``email.message.Message``/``EmailMessage``."""
        if not isinstance(em, email.message.Message):
            raise TypeError(f"from_email() takes an email.message.Message, not {type(em).__name__}")
        bcc = em.get_all("Bcc") or []
        return cls(
            _core.mime.ParsedMessage.parse(em.as_bytes(policy=email.policy.SMTP)),
            [Address._from_native(a) for v in bcc for a in _core.mime.parse_address_list(str(v))],
        )

    def mdn(
        self,
        action: str = "displayed",
        sending_mode: str = "manually",
        *,
        final_recipient: AddressInput | None = None,
        action_mode: str | None = None,
        to: AddressInput | None = None,
        modifiers: Iterable[str] = (),
        reporting_ua: str = "mailroom",
        text: str | None = None,
        include: str = "headers",
        date: str | None = None,
        message_id: str | None = None,
    ) -> Message:
        """A read receipt answering this message (RFC 8098): a
        ``multipart/report; report-type=disposition-notification`` from the
        reader (``final_recipient``, default: the first To address) to the
        Disposition-Notification-To address (or ``to``), with
        ``Disposition: manual-action/MDN-sent-manually; displayed`` for
        ``action="displayed", sending_mode="manually"``. ``action_mode``
        ("manual" or "automatic") defaults to follow ``sending_mode``;
        ``include`` returns the original's "headers", the "full" message, or
        "none". Send it from the null sender ``<>`` (RFC 8098 §2.1);
        :class:`mailroom.DeliveryReport` reads it back.
        """
        if sending_mode not in ("manually", "automatically"):
            raise ValueError('sending_mode must be "manually" or "automatically"')
        mode = action_mode or ("manual" if sending_mode == "manually" else "automatic")
        if mode not in ("manual", "automatic"):
            raise ValueError('action_mode must be "manual" or "automatic"')
        if final_recipient is not None:
            reader = _mailbox(final_recipient)[1]
        elif self.to:
            reader = self.to[0].address
        else:
            raise ValueError("give final_recipient: the message has no To address")
        raw = _core.mime.build_mdn(
            bytes(self),
            reader,
            _mailbox(to)[1] if to is not None else "",
            action,
            mode == "automatic",
            sending_mode == "automatically",
            list(modifiers),
            reporting_ua,
            text or "",
            include,
            date,
            message_id,
        )
        return Message.parse(raw)

    def to_email(self) -> email.message.EmailMessage:
        """This message as Python's ``email.message.EmailMessage``."""
        import email.parser

        parsed = email.parser.BytesParser(policy=email.policy.default).parsebytes(bytes(self))
        assert isinstance(parsed, email.message.EmailMessage)
        return parsed

    def __bytes__(self) -> bytes:
        return bytes(self._core.raw)

    def __len__(self) -> int:
        return int(self._core.size)

    # -- headers people ask for ------------------------------------------------
    def _addresses(self, name: str) -> list[Address]:
        return [
            Address._from_native(a)
            for raw in self._core.header_all(0, name)
            for a in _core.mime.parse_address_list(raw)
            if a.address
        ]

    @property
    def subject(self) -> str | None:
        return self["Subject"]

    @property
    def sender(self) -> Address | None:
        """The (first) author in From."""
        found = self._addresses("From")
        return found[0] if found else None

    @property
    def from_(self) -> list[Address]:
        return self._addresses("From")

    @property
    def to(self) -> list[Address]:
        return self._addresses("To")

    @property
    def cc(self) -> list[Address]:
        return self._addresses("Cc")

    @property
    def bcc(self) -> list[Address]:
        """Bcc given to ``build`` (never in the bytes), or a Bcc header if present."""
        return list(self._bcc) or self._addresses("Bcc")

    @property
    def reply_to(self) -> list[Address]:
        return self._addresses("Reply-To")

    @property
    def recipients(self) -> list[Address]:
        """To, Cc and Bcc: the envelope a client derives when none is given."""
        return self.to + self.cc + self.bcc

    @property
    def date(self) -> _dt.datetime | None:
        """Date as an aware datetime (UTC when the zone is unknown), or None."""
        raw = self._core.header(0, "Date")
        if raw is None:
            return None
        parsed = _core.mime.parse_date(raw)
        if parsed is None:
            return None
        p = parsed
        zone = _dt.timezone(_dt.timedelta(minutes=p.offset_minutes))
        try:
            return _dt.datetime(p.year, p.month, p.day, p.hour, p.minute, p.second, tzinfo=zone)
        except ValueError:
            return None

    @property
    def unix_from(self) -> str | None:
        """The leading ``From `` envelope line (an mbox message, many exported
        ``.eml`` files), without its line end; None when there is none. It is
        no header field: ``headers`` and ``defects`` do not count it."""
        if self._unix_from is not None:  # framed off by the mbox reader
            return self._unix_from
        line = _core.mime.envelope_line(self._core, 0)
        return None if line is None else bytes(line).decode("latin-1")

    @property
    def message_id(self) -> str | None:
        value = self["Message-ID"]
        return value.strip() if value is not None else None

    # -- bodies and attachments ------------------------------------------------
    def _reader_parts(self) -> Iterator[Part]:
        """Parts a reader sees, not descending into attached messages."""
        stack = [0]
        core = self._core
        while stack:
            i = stack.pop()
            yield Part(self, i)
            if i == 0 or not core.is_message(i):
                stack.extend(reversed(core.children(i)))

    def _body(self, subtype: str) -> str | None:
        # the first text/<subtype> leaf that is no attachment, not inside an
        # attached message: the native rule the tables' text/html columns use
        body = _core.mime.reader_body(self._core, subtype)
        return None if body is None else str(body)

    @property
    def text(self) -> str | None:
        """The text/plain body a reader sees (None when absent)."""
        return self._body("plain")

    @property
    def html(self) -> str | None:
        """The text/html body a reader sees (None when absent)."""
        return self._body("html")

    def sanitized_html(self, allow_remote: bool = False) -> str | None:
        """The HTML body made safe to show (the engine's sanitizer: no script,
        event handlers, javascript: URLs, forms, frames or objects; remote
        images, fonts and CSS removed unless ``allow_remote``); None when there
        is no HTML body."""
        body = self.html
        return None if body is None else _core.mime.sanitize_html(body, allow_remote)[0]

    @property
    def attachments(self) -> list[Part]:
        """Attached parts, each with .filename, .content_type, .data, .size."""
        return [
            p
            for p in self._reader_parts()
            if p.index != 0 and not p.is_multipart and p.is_attachment
        ]

    @property
    def parts(self) -> list[Part]:
        """Every part, depth first (as ``walk()``)."""
        return list(self.walk())

    @property
    def defects(self) -> list[Defect]:
        """What the parser found malformed, and undecodable bodies (and, for a
        message read from an archive, what was wrong with its entry there)."""
        found = list(self._source_defects)
        found += [Defect(d.kind, d.detail, d.part, d.offset) for d in self._core.defects()]
        core = self._core
        for i in range(core.part_count):
            if core.is_multipart(i) or core.is_message(i):
                continue
            cte = core.transfer_encoding(i)
            if cte in ("base64", "quoted-printable") and core.decoded(i)[1]:
                start = core.spans(i)[2][0]
                kind = "bad_base64" if cte == "base64" else "bad_quoted_printable"
                found.append(Defect(kind, f"part {i}: malformed {cte} body", i, start))
        return found

    # -- presentation -----------------------------------------------------------
    def tree(self) -> str:
        """The MIME tree as indented text."""
        lines = []
        for part in self.walk():
            indent = "  " * part.depth
            bits = [part.content_type]
            if part.charset:
                bits.append(f"charset={part.charset}")
            if part.filename:
                bits.append(f"filename={part.filename!r}")
            if not part.is_multipart and not part.is_message:
                bits.append(f"[{part.transfer_encoding}, {_sizes_text(part)}]")
            if part.is_attachment:
                bits.append("(attachment)")
            lines.append(indent + " ".join(bits))
        return "\n".join(lines)

    def __repr__(self) -> str:
        frm = self.sender
        subject = self.subject
        return (
            f"<Message from={str(frm) if frm else None!r} subject={subject!r} "
            f"{len(self)} bytes, {self._core.part_count} part(s)>"
        )

    def _repr_html_(self) -> str:
        e = _html.escape
        rows = "".join(
            f"<tr><th style='text-align:left'>{e(n)}</th><td>{e(v)}</td></tr>"
            for n, v in self.headers
            if n.lower() in ("from", "to", "cc", "subject", "date", "message-id")
        )
        tree = e(self.tree())
        atts = "".join(
            f"<li>{e(a.filename or '(no name)')} — {e(a.content_type)}, {_sizes_text(a)}</li>"
            for a in self.attachments
        )
        body = self.text
        preview = e(body[:2000]) if body else "<i>(no text/plain body)</i>"
        return (
            "<div class='mailroom-message'>"
            f"<table>{rows}</table>"
            f"<pre style='margin:4px 0'>{tree}</pre>"
            + (f"<ul>{atts}</ul>" if atts else "")
            + f"<pre style='white-space:pre-wrap;border-top:1px solid #ccc'>{preview}</pre>"
            "</div>"
        )

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Message):
            return bytes(self) == bytes(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(bytes(self))
