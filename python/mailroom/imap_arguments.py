"""What IMAPClient writes and reads besides the protocol itself: its
arguments checked and encoded (UIDs, UID sets, flag lists, dates), NO/BAD
completions and the native session's failures as IMAPError exceptions, and
untagged responses as IDLE events."""

from __future__ import annotations

import contextlib
import datetime as _dt
from collections.abc import Iterable, Iterator
from typing import Any

from . import _core
from .errors import (
    IMAPAuthError,
    IMAPCertificateError,
    IMAPConnectError,
    IMAPConnectTimeoutError,
    IMAPError,
    IMAPHostNotFoundError,
    IMAPProtocolError,
    IMAPServerDisconnected,
    IMAPTimeoutError,
    IMAPTLSError,
    _connect_failure,
    _tls_failure,
)
from .imap_values import IdleEvent

_Completion = _core.imap.Completion


@contextlib.contextmanager
def imap_failures() -> Iterator[None]:
    """The IMAP client's exceptions for the native session's failures."""
    try:
        yield
    except _core.net.ConnectFailure as e:
        raise _connect_failure(
            e, IMAPConnectError, IMAPHostNotFoundError, IMAPConnectTimeoutError
        ) from None
    except _core.net.TlsFailure as e:
        raise _tls_failure(e, IMAPTLSError, IMAPCertificateError) from None
    except _core.imap.PlaintextAuthRefused as e:
        raise IMAPAuthError(
            f"{e} (use tls='starttls' or 'implicit', or allow_plaintext_auth=True)"
        ) from None
    except _core.imap.ImapSessionFailure as e:
        cls: type[IMAPError] = {
            "Timeout": IMAPTimeoutError,
            "Protocol": IMAPProtocolError,
            "Refused": IMAPConnectError,
        }.get(e.kind, IMAPServerDisconnected)
        raise cls(f"IMAP session ended: {e}") from None


def uid_list(uids: int | Iterable[int]) -> list[int]:
    found = [uids] if isinstance(uids, int) else list(uids)
    for u in found:
        if not isinstance(u, int) or isinstance(u, bool) or not 0 < u < 2**32:
            raise ValueError(f"a UID is an int from 1 to 4294967295, not {u!r}")
    return found


def uid_set(uids: int | Iterable[int]) -> str:
    found = sorted(set(uid_list(uids)))
    if not found:
        raise ValueError("no UIDs given")
    parts: list[str] = []
    start = prev = found[0]
    for u in found[1:] + [0]:
        if u == prev + 1:
            prev = u
            continue
        parts.append(str(start) if start == prev else f"{start}:{prev}")
        start = prev = u
    return ",".join(parts)


def flag_list(flags: Iterable[str]) -> str:
    items = [flags] if isinstance(flags, str) else list(flags)
    for f in items:
        if not f or any(c in f for c in ' ()"{}\r\n\0%*]') or not f.isascii():
            raise ValueError(f"not an IMAP flag: {f!r}")
    return "(" + " ".join(items) + ")"


def date_time_text(date: _dt.datetime | None) -> str | None:
    if date is None:
        return None
    if date.tzinfo is None:
        raise ValueError("append(date=...) needs an aware datetime (with a tzinfo)")
    return date.astimezone(_dt.timezone.utc).strftime('"%d-%b-%Y %H:%M:%S +0000"')


def checked(c: _Completion, what: str | None = None) -> _Completion:
    """``c`` when OK, else its IMAPError."""
    if c.status != "OK":
        code = f"[{c.code.name}] " if c.code.name else ""
        raise IMAPError(
            f"{what or c.command} failed: {c.status} {code}{c.text}",
            c.status,
            c.code.name,
            c.command,
        )
    return c


def status_number(items: dict[str, int], name: str) -> int | None:
    value = items.get(name)
    return None if value is None else int(value)


def idle_event(u: Any) -> IdleEvent | None:
    if u.kind == "EXISTS":
        return IdleEvent("exists", int(u.number))
    if u.kind == "EXPUNGE":
        return IdleEvent("expunge", int(u.number))
    if u.kind == "FETCH":
        f = u.fetch
        return IdleEvent(
            "fetch",
            int(u.number),
            int(f.uid) or None,
            list(f.flags) if f.flags is not None else None,
        )
    if u.kind == "VANISHED":
        return IdleEvent("vanished", uids=list(u.numbers))
    return None
