"""The event bus from Python (``server.events``): what a session, a delivery,
the store API and the queue publish, seen by listeners and by subscribers on
the dispatcher thread, never on a network thread."""

from __future__ import annotations

import poplib
import smtplib
import threading
from typing import Any

import pytest

import mailroom
from mailroom import Server
from mailroom.events import Event, SessionEvent
from mailroom.queue import QueueEvent
from mailroom.store import StoreChange

from .conftest import unraisables

BOB = "bob@example.org"
AMY = "amy@example.org"


def send(server: Server, to: list[str], subject: str) -> None:
    with smtplib.SMTP(*server.smtp_address) as c:
        c.sendmail("a@example.org", to, f"Subject: {subject}\r\n\r\nx\r\n".encode())


def test_a_session_publishes_start_the_deliveries_and_its_end() -> None:
    with Server() as s, s.events.listen() as events:
        send(s, [BOB, AMY], "hello")
        started = events.wait("session_started")
        assert isinstance(started, SessionEvent) and started.protocol == "smtp"
        assert started.peer.startswith("127.0.0.1:") and started.transcript is None
        appended = [events.wait("appended"), events.wait("appended")]
        assert {(c.account, c.folder) for c in appended} == {(BOB, "INBOX"), (AMY, "INBOX")}
        assert all(isinstance(c, StoreChange) and c.uid == 1 and c.modseq for c in appended)
        ended = events.wait("session_ended")
        assert isinstance(ended, SessionEvent) and ended.id == started.id
        assert "C: mail FROM:<a@example.org>" in (ended.transcript or "")
        assert ended.messages == 1 and ended.at >= started.at
        assert [x.id for x in s.sessions] == [started.id]


def test_pop3_sessions_are_events_with_the_password_masked() -> None:
    with Server(pop3_port=0, users={BOB: "s3cret"}, allow_plaintext_auth=True) as s:
        send(s, [BOB], "for pop")
        s.wait_for(subject="for pop")
        with s.events.listen(kinds="session_ended") as ends:
            pop = poplib.POP3(s.host, s.pop3_port)
            pop.user(BOB)
            pop.pass_("s3cret")
            pop.retr(1)
            pop.quit()
            ended = ends.get(timeout=5)
        assert isinstance(ended, SessionEvent) and ended.protocol == "pop3"
        assert (
            "s3cret" not in (ended.transcript or "")
            and "C: RETR 1" in (ended.transcript or "").upper()
        )


def test_subscribers_run_on_the_dispatcher_thread_and_a_slow_one_holds_up_no_client() -> None:
    gate = threading.Event()
    got: list[tuple[str, str]] = []
    network_threads = set()
    with Server(threads=1) as s:

        @s.events.subscribe(kinds="appended")
        def slow(ev: Event) -> None:
            gate.wait(30)
            got.append((threading.current_thread().name, ev.kind))

        @s.on_message
        def note_thread(msg: mailroom.Message) -> None:
            network_threads.add(threading.current_thread().name)

        # The subscriber is stuck; the server still takes every message.
        for i in range(3):
            send(s, [BOB], f"m{i}")
        assert [m.subject for m in s.mailbox(BOB)] == ["m0", "m1", "m2"]
        assert got == []
        gate.set()
        s.events.flush()
        assert got == [("mailroom-events", "appended")] * 3
        assert "mailroom-events" not in network_threads


def test_filters_by_kind_and_account_and_bad_kinds_are_refused() -> None:
    with Server() as s:
        bobs: list[StoreChange] = []
        sessions: list[str] = []
        s.events.subscribe(bobs.append, kinds={"appended", "flags"}, account="bob@Example.ORG")  # type: ignore[arg-type]
        s.events.subscribe(lambda e: sessions.append(e.kind), kinds=("session_started",))
        send(s, [BOB, AMY], "two")
        s.wait_for(subject="two")
        inbox = s.account(BOB).inbox
        inbox.add_flags([1], ["\\Seen"])
        s.events.flush()
        assert [(c.kind, c.account) for c in bobs] == [("appended", BOB), ("flags", BOB)]
        assert sessions == ["session_started"]
        with pytest.raises(ValueError, match="unknown event kind 'arrived'"):
            s.events.listen(kinds={"appended", "arrived"})
        with pytest.raises(ValueError, match="no event kind given"):
            s.events.subscribe(print, kinds=())
        with pytest.raises(TypeError, match="callable"):
            s.events.subscribe(42)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="capacity"):
            s.events.listen(capacity=0)


def test_a_failing_subscriber_is_reported_and_the_others_go_on() -> None:
    with Server() as s:
        good: list[str] = []

        def broken(ev: Event) -> None:
            raise RuntimeError("subscriber bug")

        s.events.subscribe(broken, kinds="appended")
        s.events.subscribe(lambda e: good.append(e.kind), kinds="appended")
        with unraisables() as reported:
            send(s, [BOB], "x")
            s.wait_for(subject="x")
        assert [str(u.exc_value) for u in reported] == ["subscriber bug"]
        assert good == ["appended"]
        assert [m.subject for m in s.mailbox(BOB)] == ["x"]


def test_cancelled_subscriptions_and_closed_listeners_get_nothing_more() -> None:
    with Server() as s:
        got: list[str] = []
        sub = s.events.subscribe(lambda e: got.append(e.kind), kinds="appended")
        assert sub.active and s.events.subscribers == 1
        send(s, [BOB], "one")
        s.wait_for(subject="one")
        sub.cancel()
        assert not sub.active
        listener = s.events.listen(kinds="appended")
        listener.close()
        send(s, [BOB], "two")
        s.wait_for(subject="two")
        assert got == ["appended"]
        assert listener.drain() == [] and listener.closed
        with pytest.raises(EOFError):
            listener.get(timeout=0.1)


def test_a_listener_is_bounded_and_counts_what_it_dropped() -> None:
    with Server() as s, s.events.listen(kinds="appended", capacity=2) as events:
        inbox = s.account(BOB).inbox
        for _ in range(5):
            inbox.append(b"Subject: api\r\n\r\nx\r\n")
        kept = events.drain()
        assert [c.uid for c in kept if isinstance(c, StoreChange)] == [4, 5]
        assert events.dropped == 3
        with pytest.raises(TimeoutError, match="no event within"):
            events.get(timeout=0.05)


def test_store_api_changes_come_in_modseq_order() -> None:
    with Server() as s, s.events.listen(kinds={"appended", "flags", "expunged"}) as events:
        inbox = s.account(BOB).inbox
        info = inbox.append(b"Subject: api\r\n\r\nx\r\n")
        inbox.add_flags([info.uid], ["$Important"])
        inbox.move([info.uid], "Archive")
        changes = [events.get(timeout=5) for _ in range(4)]
        assert [(c.kind, c.folder) for c in changes if isinstance(c, StoreChange)] == [
            ("appended", "INBOX"),
            ("flags", "INBOX"),
            ("appended", "Archive"),
            ("expunged", "INBOX"),
        ]


def test_queue_events_and_hooks_come_through_the_dispatcher() -> None:
    b = Server(domains=["b.test"]).start()
    a = Server(domains=["a.test"], routes={"b.test": f"127.0.0.1:{b.smtp_port}"}).start()
    try:
        threads: list[str] = []
        a.queue.on_delivered(lambda ev: threads.append(threading.current_thread().name))
        with a.events.listen(kinds="delivered") as delivered:
            send(a, ["bob@b.test"], "relayed")
            ev = delivered.get(timeout=10)
        assert isinstance(ev, QueueEvent) and ev.recipients == ["bob@b.test"] and ev.code == 250
        b.wait_for(subject="relayed")
        assert [e.kind for e in a.queue.events] == ["delivered"]
        assert threads == ["mailroom-events"]
    finally:
        a.stop()
        b.stop()


def test_subscriptions_survive_a_restart() -> None:
    s = Server().start()
    got: list[str] = []
    s.events.subscribe(lambda e: got.append(e.kind), kinds="appended")
    s.stop()
    s.account(BOB).inbox.append(b"Subject: while stopped\r\n\r\nx\r\n")
    s.start()
    try:
        send(s, [BOB], "after")
        s.wait_for(subject="after")
        assert got == ["appended", "appended"]
    finally:
        s.stop()


# -- the folder API shortcuts ------------------------------------------------------
def test_server_account_is_the_stores_account() -> None:
    with Server() as s:
        bob = s.account(BOB)
        assert [f.name for f in bob.folders()][:1] == ["INBOX"]
        assert {f.special_use for f in bob.folders()} >= {"\\Sent", "\\Junk", "\\Trash"}
        with pytest.raises(mailroom.store.NoSuchAccount):
            s.account("nobody@example.org", create=False)


def test_wait_for_a_message_in_another_folder() -> None:
    with Server() as s:
        # A filter on the dispatcher thread may change the store: spam goes to Junk.
        @s.events.subscribe(kinds="appended")
        def junk_filter(ev: Any) -> None:
            if ev.folder != "INBOX":
                return
            msg = s.account(ev.account).inbox.message(ev.uid)
            if "SPAM" in (msg.subject or ""):
                s.account(ev.account).inbox.move([ev.uid], "Junk")

        send(s, [BOB], "hello")
        send(s, [BOB], "SPAM offer")
        junk = s.wait_for(to=BOB, folder="Junk", timeout=5)
        assert junk.subject == "SPAM offer"
        assert s.wait_for(folder="Junk", subject="SPAM offer").subject == "SPAM offer"
        with pytest.raises(TimeoutError, match="in folder 'Junk'"):
            s.wait_for(to=BOB, folder="Junk", new=True, timeout=0.2)
        with pytest.raises(ValueError, match="since= counts INBOX arrivals"):
            s.wait_for(folder="Junk", since=s.mark())
        assert s.wait_for(to=BOB, folder="INBOX").subject == "hello"
