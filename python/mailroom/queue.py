"""The outgoing queue of a :class:`mailroom.Server`, and its clock.

``server.queue`` lists what waits for the next hop (per-recipient state,
attempts, the next attempt and the last reply), and can flush, remove and
wait. ``server.clock`` is the queue's clock: with ``Server(clock="manual")``
``server.clock.advance(seconds)`` runs a retry schedule of days in
milliseconds, delivering each attempt that falls due on the way.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Callable, Literal

from . import _core

__all__ = ["Clock", "Queue", "QueueEntry", "QueueEvent", "QueueRecipient"]

RecipientState = Literal["pending", "delivered", "failed"]
EventKind = Literal["delivered", "deferred", "bounced", "delayed"]


def _ts(value: float) -> _dt.datetime | None:
    return _dt.datetime.fromtimestamp(value, tz=_dt.timezone.utc) if value > 0 else None


@dataclass(frozen=True)
class QueueRecipient:
    """One recipient of a queue entry and where its delivery stands."""

    address: str
    state: RecipientState
    attempts: int
    last_code: int  # 0: no reply (no connection)
    last_reply: str
    remote_host: str
    last_attempt: _dt.datetime | None
    busy: bool  # a delivery is running
    # RFC 3461: the NOTIFY keywords it came with (() when none) and its ORCPT
    # as "type;address" ("" when none).
    notify: tuple[str, ...] = ()
    orcpt: str = ""


@dataclass(frozen=True)
class QueueEntry:
    """A message in the outgoing queue."""

    id: str
    sender: str  # "" for the null sender (a bounce)
    recipients: list[QueueRecipient]
    arrived: _dt.datetime
    next_attempt: _dt.datetime
    attempts: int  # finished delivery rounds
    last_reply: str
    size: int
    delivering: bool
    ret: str | None = None  # RET=FULL|HDRS (RFC 3461 §4.3)
    envid: str | None = None  # ENVID (RFC 3461 §4.4), decoded

    @property
    def pending(self) -> list[str]:
        return [r.address for r in self.recipients if r.state == "pending"]


@dataclass(frozen=True)
class QueueEvent:
    """Something that happened to a queue entry (for the queue's hooks)."""

    kind: EventKind
    id: str
    sender: str
    recipients: list[str]
    code: int
    reply: str
    remote_host: str
    at: _dt.datetime
    attempt: int
    # Each recipient's NOTIFY keywords (RFC 3461 §4.1); () when it gave none.
    notify: dict[str, tuple[str, ...]] = field(default_factory=dict)


QueueHook = Callable[[QueueEvent], Any]


def _orcpt(dsn: _core.smtp.RecipientDsn) -> str:
    return f"{dsn.orcpt_type};{dsn.orcpt}" if dsn.orcpt_type else ""


def _entry(e: _core.queue.QueueEntry) -> QueueEntry:
    recipients = [
        QueueRecipient(
            address=r.address,
            state=r.state,  # type: ignore[arg-type]
            attempts=r.attempts,
            last_code=r.last_code,
            last_reply=r.last_reply,
            remote_host=r.remote_host,
            last_attempt=_ts(r.last_attempt),
            busy=r.busy,
            notify=tuple(r.dsn.notify),
            orcpt=_orcpt(r.dsn),
        )
        for r in e.rcpts
    ]
    return QueueEntry(
        id=e.id,
        sender=e.mail_from,
        recipients=recipients,
        arrived=_dt.datetime.fromtimestamp(e.arrived_at, tz=_dt.timezone.utc),
        next_attempt=_dt.datetime.fromtimestamp(e.next_attempt, tz=_dt.timezone.utc),
        attempts=e.attempts,
        last_reply=e.last_reply,
        size=e.size,
        delivering=e.busy,
        ret=e.dsn.ret,
        envid=e.dsn.envid,
    )


class Queue:
    """The outgoing queue of a server (``server.queue``).

    Iterating gives :class:`QueueEntry` snapshots, oldest first. Hooks
    (``on_delivered``, ``on_deferred``, ``on_bounced``, ``on_delayed``) run
    on the server's event dispatcher thread (``server.events``) with a
    :class:`QueueEvent`; an exception in one is reported through
    ``sys.unraisablehook`` and changes nothing.
    """

    def __init__(self, native: _core.server.SmtpServer, events: Any = None) -> None:
        self._native = native
        self._hooks: dict[str, list[QueueHook]] = {}
        self._events: list[QueueEvent] = []
        self.max_events = 10_000
        self._stream = events  # the server's mailroom.events.EventStream
        if events is not None and native.relay:
            events.subscribe(self._record, kinds=("delivered", "deferred", "bounced", "delayed"))

    # -- contents ---------------------------------------------------------------
    def entries(self) -> list[QueueEntry]:
        return [_entry(r) for r in self._native.queue_entries()]

    def __iter__(self) -> Iterator[QueueEntry]:
        return iter(self.entries())

    def __len__(self) -> int:
        return int(self._native.queue_size())

    def __getitem__(self, ident: str) -> QueueEntry:
        for e in self.entries():
            if e.id == ident:
                return e
        raise KeyError(ident)

    def __contains__(self, ident: object) -> bool:
        return any(e.id == ident for e in self.entries())

    # -- actions ----------------------------------------------------------------
    def flush(self, wait: bool = True, timeout: float = 60.0) -> None:
        """Try every waiting entry now; with ``wait``, until the attempts end."""
        self._native.queue_flush()
        if wait:
            self.wait_idle(timeout)

    def remove(self, ident: str) -> None:
        """Drop an entry without delivering or bouncing it; KeyError if unknown."""
        if not self._native.queue_remove(ident):
            raise KeyError(ident)

    def wait_idle(self, timeout: float = 60.0) -> None:
        """Until no attempt is due or running, and the hooks have seen what
        happened; TimeoutError otherwise."""
        if not self._native.queue_wait_idle(float(timeout)):
            raise TimeoutError(f"the queue was still delivering after {timeout} s")
        if self._stream is not None:
            self._stream.flush(timeout)

    # -- hooks ------------------------------------------------------------------
    def _add(self, kind: str, fn: QueueHook) -> QueueHook:
        if not callable(fn):
            raise TypeError("a queue hook must be callable")
        self._hooks.setdefault(kind, []).append(fn)
        return fn

    def on_delivered(self, fn: QueueHook) -> QueueHook:
        return self._add("delivered", fn)

    def on_deferred(self, fn: QueueHook) -> QueueHook:
        return self._add("deferred", fn)

    def on_bounced(self, fn: QueueHook) -> QueueHook:
        return self._add("bounced", fn)

    def on_delayed(self, fn: QueueHook) -> QueueHook:
        return self._add("delayed", fn)

    def remove_hooks(self) -> None:
        self._hooks.clear()

    def _record(self, ev: QueueEvent) -> None:
        # On the server's event dispatcher thread (mailroom.events).
        self._events.append(ev)
        if len(self._events) > self.max_events:
            del self._events[: len(self._events) - self.max_events]
        for fn in list(self._hooks.get(ev.kind, ())):
            fn(ev)

    @property
    def events(self) -> list[QueueEvent]:
        """The latest events (at most ``max_events``), oldest first: every
        event published before the call is in it."""
        if self._stream is not None:
            self._stream.flush()
        return self._events

    def __repr__(self) -> str:
        return f"<mailroom.Queue {len(self)} entries>"


class Clock:
    """The queue's clock (``server.clock``): real time, or manual."""

    def __init__(self, native: _core.server.SmtpServer) -> None:
        self._native = native

    @property
    def manual(self) -> bool:
        return bool(self._native.clock_manual)

    def time(self) -> float:
        """Seconds since the epoch, as the queue sees them."""
        return float(self._native.clock_now())

    def now(self) -> _dt.datetime:
        return _dt.datetime.fromtimestamp(self.time(), tz=_dt.timezone.utc)

    def advance(self, seconds: float | _dt.timedelta) -> None:
        """Move a manual clock forward, running every attempt that falls due."""
        if isinstance(seconds, _dt.timedelta):
            seconds = seconds.total_seconds()
        self._native.clock_advance(float(seconds))

    def __repr__(self) -> str:
        kind = "manual" if self.manual else "real"
        return f"<mailroom.Clock {kind} {self.now().isoformat()}>"
