"""Replies and forwards of a message: thin over the engine's, which the web
mail client's routes use too (RFC 5322 §3.6.3, §3.6.4)."""

from __future__ import annotations

import datetime as _dt
import email.utils
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from . import _core
from ._core.mime import ParsedMessage

if TYPE_CHECKING:
    from .message import AddressInput, Message


class Replies:
    """``reply``, ``reply_all`` and ``forward`` for :class:`mailroom.Message`."""

    __slots__ = ()
    _core: ParsedMessage

    def reply(
        self,
        text: str | None = None,
        html: str | None = None,
        *,
        quote: bool = True,
        from_: AddressInput | None = None,
        date: str | _dt.datetime | None = None,
        message_id: str | None = None,
    ) -> Message:
        """A reply to the author: To the Reply-To addresses, else From;
        ``Re:`` once before the subject; In-Reply-To and References (RFC 5322
        §3.6.4); with ``quote``, the original under ``text`` as
        ``On DATE, NAME <addr> wrote:`` and ``> `` lines (in a
        ``<blockquote>`` under ``html``). ``from_`` is who answers (default:
        the original's first To address)."""
        return self._answer("reply", text, html, from_, (), quote, True, date, message_id)

    def reply_all(
        self,
        text: str | None = None,
        html: str | None = None,
        *,
        quote: bool = True,
        from_: AddressInput | None = None,
        also_me: Iterable[str] = (),
        date: str | _dt.datetime | None = None,
        message_id: str | None = None,
    ) -> Message:
        """A reply to everyone: the Mail-Followup-To addresses when the
        original has them, else its Reply-To (or From) with its To and Cc as
        Cc, without the answerer's own addresses (``from_`` and ``also_me``)
        and without duplicates (compared case-insensitively)."""
        own = [str(a) for a in also_me]
        return self._answer("reply_all", text, html, from_, own, quote, True, date, message_id)

    def forward(
        self,
        to: AddressInput | Iterable[AddressInput],
        text: str | None = None,
        html: str | None = None,
        *,
        inline: bool = True,
        from_: AddressInput | None = None,
        date: str | _dt.datetime | None = None,
        message_id: str | None = None,
    ) -> Message:
        """The message forwarded to ``to`` with ``Fwd:`` before its subject:
        inline, a ``---------- Forwarded message ---------`` block (From, Date,
        Subject, To) and its text under ``text``, its attachments kept; else
        the original attached whole as ``message/rfc822``."""
        return self._answer("forward", text, html, from_, (), True, inline, date, message_id, to=to)

    def _answer(
        self,
        mode: str,
        text: str | None,
        html: str | None,
        from_: AddressInput | None,
        own: Iterable[str],
        quote: bool,
        inline: bool,
        date: str | _dt.datetime | None,
        message_id: str | None,
        *,
        to: Any = None,
    ) -> Message:
        from .message import _mailbox, _mailboxes

        for what, value in (("text", text), ("html", html)):
            if value is not None and not isinstance(value, str):
                raise TypeError(f"{what} must be str, not {type(value).__name__}")
        if isinstance(date, _dt.datetime):
            if date.tzinfo is None:
                raise ValueError("date must be an aware datetime (give it a tzinfo)")
            date = email.utils.format_datetime(date)
        for what, line in (("date", date), ("message_id", message_id)):
            if line is not None and ("\r" in line or "\n" in line):
                raise ValueError(f"CR or LF in {what}: {line!r}")
        recipients = _mailboxes(to, "to") if mode == "forward" else []
        if mode == "forward" and not recipients:
            raise ValueError("forward() needs at least one address in to")
        raw = _core.mime.build_reply(
            self._core,
            mode,
            _mailbox(from_, "from_") if from_ is not None else None,
            [_mailbox(a, "also_me")[1] for a in own],
            recipients,
            quote,
            inline,
            text,
            html,
            date,
            message_id,
        )
        return type(self).parse(raw)  # type: ignore[attr-defined,no-any-return]
