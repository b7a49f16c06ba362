"""mailroom.events: what happens in a server, as typed events (``server.events``).

    with server.events.listen(kinds={"appended"}) as events:
        smtplib.SMTP(*server.smtp_address).sendmail(...)
        ev = events.get(timeout=5)          # StoreChange(kind="appended", account=..., uid=...)

    @server.events.subscribe
    def log(ev):                            # on the server's one dispatcher thread
        print(ev)

Every change of the store (``StoreChange``: a message appended, its flags
changed, expunged; a folder created, renamed, deleted), every session that
starts or ends (``SessionEvent``, with the transcript at the end) and every
queue event (``QueueEvent``: delivered, deferred, bounced, delayed) is
published by the native engine as it happens. C++ listeners (IMAP IDLE, live
HTTP events) take them directly; Python gets them here, off the network
threads: a listener is a bounded queue that a thread reads with the GIL
released, and subscribers run one at a time on one dispatcher thread, so a
slow subscriber delays other subscribers, never the server.
"""

from __future__ import annotations

import datetime as _dt
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal, Union

from . import _core
from .queue import QueueEvent
from .store import StoreChange

__all__ = [
    "Event",
    "EventKind",
    "EventStream",
    "Listener",
    "SessionEvent",
    "StoreChange",
    "QueueEvent",
    "Subscription",
    "STORE_KINDS",
    "SESSION_KINDS",
    "QUEUE_KINDS",
]

# The kinds, as the engine names them (mailroom._core.events.EVENT_KINDS).
STORE_KINDS = frozenset(_core.events.EVENT_KINDS[:6])
SESSION_KINDS = frozenset(_core.events.EVENT_KINDS[6:8])
QUEUE_KINDS = frozenset(_core.events.EVENT_KINDS[8:])

EventKind = Literal[
    "appended",
    "flags",
    "expunged",
    "created",
    "deleted",
    "renamed",
    "session_started",
    "session_ended",
    "delivered",
    "deferred",
    "bounced",
    "delayed",
]


@dataclass(frozen=True)
class SessionEvent:
    """A session of some protocol started or ended."""

    kind: Literal["session_started", "session_ended"]
    id: int  # as in Server.sessions
    protocol: str  # "smtp", "pop3", ...
    peer: str  # "127.0.0.1:50123"
    at: _dt.datetime
    transcript: str | None  # session_ended: what was said (credentials masked)
    truncated: bool
    messages: int  # accepted (SMTP) or retrieved (POP3) in the session


Event = Union[StoreChange, SessionEvent, QueueEvent]


def _time(seconds: float) -> _dt.datetime:
    return _dt.datetime.fromtimestamp(seconds, tz=_dt.timezone.utc)


def _event(native: Any) -> Event:
    if isinstance(native, _core.store.StoreChange):
        return StoreChange(
            native.kind,
            native.account,
            native.folder,
            native.old_name or None,
            native.uid or None,
            native.modseq or None,
        )
    if isinstance(native, _core.events.SessionEvent):
        ended = native.kind == "session_ended"
        return SessionEvent(
            kind="session_ended" if ended else "session_started",
            id=native.id,
            protocol=native.protocol,
            peer=native.peer,
            at=_time(native.at),
            transcript=native.transcript if ended else None,
            truncated=native.truncated,
            messages=native.messages,
        )
    rcpts = list(native.recipients)
    return QueueEvent(
        kind=native.kind,
        id=native.id,
        sender=native.mail_from,
        recipients=rcpts,
        code=native.code,
        reply=native.reply,
        remote_host=native.remote_host,
        at=_time(native.at),
        attempt=native.attempt,
        notify=dict(zip(rcpts, (tuple(n) for n in native.notify))),
    )


def _filter(kinds: Iterable[str] | str | None, account: str | None) -> Any:
    """The native filter (which checks the kinds: ValueError naming an unknown one)."""
    if isinstance(kinds, str):
        kinds = [kinds]
    acct = "" if account is None else str(_core.store.normalize_mailbox(account))
    return _core.events.EventFilter(None if kinds is None else list(kinds), acct)


def _native_queue(server: Any, event_filter: Any, capacity: int) -> Any:
    if not isinstance(capacity, int) or isinstance(capacity, bool) or capacity < 1:
        raise ValueError(f"capacity must be a positive int, got {capacity!r}")
    return _core.events.EventQueue(server, capacity, event_filter)


class Listener:
    """Events since it was made, kept (bounded) until taken: ``get``,
    ``drain``, or iteration. Made by ``EventStream.listen``; close it (or use
    ``with``) when done, or it keeps collecting."""

    def __init__(self, native: Any) -> None:
        self._native = native

    def __enter__(self) -> Listener:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._native.close()

    @property
    def closed(self) -> bool:
        return bool(self._native.closed)

    @property
    def dropped(self) -> int:
        """Events lost because nobody took them before the listener was full."""
        return int(self._native.dropped)

    def __len__(self) -> int:
        return len(self._native)

    def _take(self, timeout: float) -> Event | None:
        native = self._native.get(max(timeout, 0.0))
        return None if native is None else _event(native)

    def get(self, timeout: float | None = 5.0) -> Event:
        """The next event; TimeoutError when none came within ``timeout``
        seconds (None: wait as long as it takes)."""
        if timeout is None:
            while True:
                ev = self._take(3600.0)
                if ev is not None:
                    return ev
                if self.closed:
                    raise EOFError("the listener is closed")
        ev = self._take(timeout)
        if ev is None:
            if self.closed:
                raise EOFError("the listener is closed")
            raise TimeoutError(f"no event within {timeout:g} s")
        return ev

    def wait(
        self,
        kind: str | Iterable[str] | None = None,
        predicate: Callable[[Event], bool] | None = None,
        timeout: float = 5.0,
    ) -> Event:
        """The first event of ``kind`` (and matching ``predicate``); those
        before it are passed over. TimeoutError after ``timeout`` seconds."""
        want = None if kind is None else _filter(kind, None)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                what = " or ".join(want.kinds) if want is not None else "matching"
                raise TimeoutError(
                    f"no {what} event"
                    f"{' matching the predicate' if predicate else ''} within {timeout:g} s"
                )
            native = self._native.get(left)
            if native is None:
                if self.closed:
                    raise EOFError("the listener is closed")
                continue
            if want is not None and not want.accepts(native):
                continue
            ev = _event(native)
            if predicate is None or predicate(ev):
                return ev

    def drain(self) -> list[Event]:
        """Every event waiting now, oldest first, without waiting."""
        return [_event(e) for e in self._native.drain()]

    def __iter__(self) -> Iterator[Event]:
        """Events as they come, until the listener is closed."""
        while True:
            try:
                yield self.get(timeout=None)
            except EOFError:
                return


class Subscription:
    """A subscriber on the dispatcher thread; ``cancel()`` (or ``with``) ends it."""

    def __init__(self, stream: EventStream, key: int, fn: Callable[[Event], Any]) -> None:
        self._stream = stream
        self._key = key
        self.callback = fn

    def cancel(self) -> None:
        self._stream._remove(self._key)

    @property
    def active(self) -> bool:
        return self._stream._has(self._key)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.cancel()


class _Subscriber:
    __slots__ = ("fn", "filter", "after")

    def __init__(self, fn: Callable[[Event], Any], event_filter: Any, after: int):
        self.fn = fn
        self.filter = event_filter
        self.after = after  # events numbered after this one


class _Dispatcher:
    """The thread that calls Python subscribers, while the server runs. Its
    native queue collects events all the time (also while the server is
    stopped, say from the store API); the thread hands them out."""

    def __init__(self, server: Any) -> None:
        self.queue = _native_queue(server, _core.events.EventFilter(), 1_000_000)
        self.subscribers: dict[int, _Subscriber] = {}
        self.lock = threading.Lock()
        self.done = threading.Condition(self.lock)
        self.handled = 0  # events numbered up to here have been handled
        self.thread: threading.Thread | None = None
        self.stopping = False

    def start(self) -> None:
        with self.lock:
            if self.queue.closed:
                return
            self.stopping = False
            if self.thread is not None:
                return  # still running (a stop that timed out): it goes on
            self.thread = threading.Thread(target=self.run, name="mailroom-events", daemon=True)
            self.thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Hands out what was published so far, then ends the thread; a
        subscriber stuck for longer than ``timeout`` is left to finish."""
        with self.lock:
            thread = self.thread
            if thread is None:
                return
            self.stopping = True
        if thread is not threading.current_thread():
            self.queue.interrupt()
            thread.join(timeout)

    def run(self) -> None:
        q = self.queue
        while True:
            native = q.get(3600.0)
            taken = int(q.taken)  # only this thread takes: this event's number
            if native is None:
                with self.lock:
                    self.handled = max(self.handled, taken)
                    self.done.notify_all()
                    if self.stopping or q.closed:
                        self.thread = None
                        return
                continue
            with self.lock:
                targets = [
                    s
                    for s in self.subscribers.values()
                    if taken > s.after and s.filter.accepts(native)
                ]
            ev = _event(native)
            for s in targets:
                try:
                    s.fn(ev)
                except Exception as e:  # a subscriber's failure is its own
                    _core.events.report_unraisable(e, f"mailroom.events subscriber {s.fn!r}")
            with self.lock:
                self.handled = max(self.handled, taken)
                self.done.notify_all()

    def flush(self, timeout: float) -> bool:
        target = int(self.queue.pushed)
        with self.lock:
            if self.thread is None or self.thread is threading.current_thread():
                return True  # nobody to wait for, or a subscriber waiting for itself
            return self.done.wait_for(lambda: self.handled >= target, timeout)

    def close(self) -> None:
        self.stop()
        self.queue.close()


class EventStream:
    """The events of one server (``server.events``)."""

    def __init__(self, native_server: Any) -> None:
        self._server = native_server
        self._lock = threading.Lock()
        self._dispatcher: _Dispatcher | None = None
        self._next_key = 1
        self._store_hook: Subscription | None = None  # MailStore.on_change's

    def listen(
        self,
        kinds: Iterable[str] | str | None = None,
        *,
        account: str | None = None,
        capacity: int = 100_000,
    ) -> Listener:
        """A ``Listener`` of events from now on (of ``kinds``; store changes
        of ``account`` only, when given), at most ``capacity`` kept: past it
        the oldest are dropped and counted in ``Listener.dropped``."""
        return Listener(_native_queue(self._server, _filter(kinds, account), capacity))

    def subscribe(
        self,
        fn: Callable[[Event], Any] | None = None,
        *,
        kinds: Iterable[str] | str | None = None,
        account: str | None = None,
    ) -> Any:
        """Calls ``fn(event)`` for every event from now on (of ``kinds``; of
        ``account``), on the server's dispatcher thread, one at a time and in
        order. An exception in ``fn`` goes to ``sys.unraisablehook``. Returns
        a ``Subscription``; usable as a decorator (bare or with arguments)."""
        event_filter = _filter(kinds, account)

        def add(f: Callable[[Event], Any]) -> Subscription:
            if not callable(f):
                raise TypeError(f"a subscriber must be callable, not {type(f).__name__}")
            with self._lock:
                d = self._dispatcher
                if d is None:
                    d = self._dispatcher = _Dispatcher(self._server)
                    weakref.finalize(self, d.close)
                if self._server.running:
                    d.start()
                key = self._next_key
                self._next_key += 1
            with d.lock:
                d.subscribers[key] = _Subscriber(f, event_filter, int(d.queue.pushed))
            return Subscription(self, key, f)

        return add if fn is None else add(fn)

    def flush(self, timeout: float = 10.0) -> None:
        """Waits until every event published before the call has reached the
        subscribers (TimeoutError otherwise). From a subscriber, returns at once."""
        d = self._dispatcher
        if d is not None and not d.flush(timeout):
            raise TimeoutError(f"the event subscribers were still busy after {timeout:g} s")

    def _settle(self, timeout: float) -> None:
        # flush() for wait_for: a stuck subscriber must not turn a message
        # that did arrive into a TimeoutError.
        d = self._dispatcher
        if d is not None:
            d.flush(timeout)

    def _remove(self, key: int) -> None:
        d = self._dispatcher
        if d is not None:
            with d.lock:
                d.subscribers.pop(key, None)

    def _has(self, key: int) -> bool:
        d = self._dispatcher
        if d is None:
            return False
        with d.lock:
            return key in d.subscribers

    @property
    def subscribers(self) -> int:
        d = self._dispatcher
        if d is None:
            return 0
        with d.lock:
            return len(d.subscribers)

    def _replace_store_hook(self, hook: Callable[[StoreChange], Any] | None) -> None:
        if self._store_hook is not None:
            self._store_hook.cancel()
            self._store_hook = None
        if hook is not None:
            self._store_hook = self.subscribe(hook, kinds=STORE_KINDS)  # type: ignore[arg-type]

    def _started(self) -> None:
        d = self._dispatcher
        if d is not None:
            d.start()

    def _stopped(self) -> None:
        d = self._dispatcher
        if d is not None:
            d.stop()

    def close(self) -> None:
        """Ends the dispatcher thread for good (subscribers are dropped)."""
        with self._lock:
            d, self._dispatcher = self._dispatcher, None
        if d is not None:
            d.close()

    def __repr__(self) -> str:
        return f"<mailroom.events.EventStream {self.subscribers} subscribers>"
