"""mailroom.IMAPClient against mailroom's own IMAP server: the textbook
session (C: a1 LOGIN ..., S: * 3 EXISTS ...), pipelined fetching, flags,
append, copy and move, IDLE with a second client, TLS both ways, and the
server's failures (NO on SELECT, a dropped connection) as typed exceptions."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator

import pytest

import mailroom
from mailroom import (
    IMAPAuthError,
    IMAPCertificateError,
    IMAPClient,
    IMAPError,
    IMAPServerDisconnected,
    IMAPTimeoutError,
    Server,
)

BOB = "bob@example.net"


def note(n: int, size: int = 0) -> bytes:
    body = ("x" * 76 + "\r\n") * (size // 78) if size else f"message {n}\r\n"
    return (
        f"From: alice@example.org\r\nTo: {BOB}\r\nSubject: note {n}\r\n"
        f"Message-ID: <n{n}@example.org>\r\n\r\n{body}"
    ).encode()


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with Server(imap_port=0, users={BOB: "secret"}, auth_failure_delay=0) as s:
        yield s


@pytest.fixture(autouse=True)
def _empty(server: Server) -> None:
    server.clear()


def test_textbook_session(server: Server) -> None:
    for n in range(1, 4):
        server.store.account(BOB).inbox.append(note(n))
    with IMAPClient(server.host, server.imap_port, BOB, "secret") as imap:
        assert "IMAP4REV1" in imap.capabilities
        folders = {f.name: f for f in imap.list_folders()}
        assert folders["INBOX"].role == "inbox"
        assert folders["Sent"].role == "sent" and folders["Trash"].role == "trash"
        status = imap.status("INBOX")
        assert status.messages == 3 and status.uidnext and status.uidvalidity
        sel = imap.select("INBOX")
        assert sel.exists == 3 and sel.uidvalidity == status.uidvalidity and not sel.readonly
        uids = imap.search()
        assert len(uids) == 3 and uids[-1] == status.uidnext - 1
        messages = list(imap.fetch(uids))
        assert [m.subject for m in messages] == ["note 1", "note 2", "note 3"]
        assert [m.uid for m in messages] == uids
        first = messages[0]
        assert first.folder == "INBOX" and first.flags is not None
        assert isinstance(first.internal_date, dt.datetime)
        assert bytes(first) == note(1)
        assert first.source == f"imap://bob%40example.net@{server.host}:{server.imap_port}/INBOX"
        assert imap.search(["SUBJECT", "note 2"]) == [uids[1]]
    transcript = imap.transcript
    assert "secret" not in transcript
    assert "C: a1 " in transcript and "S: * 3 EXISTS" in transcript


def test_pipelined_fetch_in_batches(server: Server) -> None:
    """250 messages in batches of 16: 16 UID FETCH commands on the wire at
    once, every message back once, in order, with its bytes."""
    box = server.store.account(BOB).inbox
    for n in range(250):
        box.append(note(n, size=2000))
    with IMAPClient(server.host, server.imap_port, BOB, "secret", max_in_flight=16) as imap:
        imap.select("INBOX", readonly=True)
        got = list(imap.fetch(imap.search(), batch=16))
        assert [m.subject for m in got] == [f"note {n}" for n in range(250)]
        assert all(bytes(m) == note(n, size=2000) for n, m in enumerate(got))
        # Pipelined: the second command went out before the first completed.
        lines = imap.transcript.splitlines()
        first = next(line for line in lines if line.startswith("C: ") and "UID FETCH" in line)
        tag = int(first.split()[1][1:])
        done = lines.index(next(li for li in lines if li.startswith(f"S: a{tag} OK")))
        assert any(li.startswith(f"C: a{tag + 1} UID FETCH") for li in lines[:done])


def test_flags_append_copy_move_expunge(server: Server) -> None:
    inbox = server.store.account(BOB).inbox
    for n in range(1, 5):
        inbox.append(note(n))
    with IMAPClient(server.host, server.imap_port, BOB, "secret") as imap:
        imap.select("INBOX")
        u1, u2, u3, u4 = imap.search()
        imap.add_flags([u1, u2], ["\\Seen", "$Label1"])
        imap.remove_flags([u2], ["$Label1"])
        imap.set_flags([u3], ["\\Flagged"])
        flags = imap.fetch_flags()
        assert {"\\Seen", "$Label1"} <= set(flags[u1])
        assert "\\Seen" in flags[u2] and "$Label1" not in flags[u2]
        assert "\\Flagged" in flags[u3] and "\\Seen" not in flags[u3]
        when = dt.datetime(2024, 2, 1, 10, 0, tzinfo=dt.timezone.utc)
        uid = imap.append("Drafts", mailroom.Message.parse(note(9)), ["\\Draft"], when)
        assert uid is not None and imap.status("Drafts").uidnext == uid + 1
        imap.copy([u1], "Archive")
        imap.move([u2], "Trash")
        assert imap.search() == [u1, u3, u4]
        imap.add_flags([u4], ["\\Deleted"])
        imap.expunge([u4])
        assert imap.search() == [u1, u3]
        imap.select("Drafts")
        (draft,) = imap.fetch(imap.search())
        assert draft.internal_date == when and "\\Draft" in (draft.flags or [])
    store = server.store.account(BOB)
    for folder, subjects in (("Trash", ["note 2"]), ("Archive", ["note 1"])):
        box = store.folder(folder)
        assert [box.message(m.uid).subject for m in box.messages()] == subjects


def test_idle_hears_another_client(server: Server) -> None:
    inbox = server.store.account(BOB).inbox
    inbox.append(note(1))
    with IMAPClient(server.host, server.imap_port, BOB, "secret") as imap:
        imap.select("INBOX")
        (uid,) = imap.search()

        def other() -> None:
            time.sleep(0.3)
            with IMAPClient(server.host, server.imap_port, BOB, "secret") as o:
                o.select("INBOX")
                o.add_flags([uid], ["\\Flagged"])
                o.append("INBOX", note(2))

        t = threading.Thread(target=other)
        t.start()
        events = []
        for event in imap.idle(timeout=3):
            events.append(event)
            if any(e.kind == "exists" for e in events):
                break
        t.join()
        kinds = {e.kind for e in events}
        assert "exists" in kinds and "fetch" in kinds
        flagged = next(e for e in events if e.kind == "fetch")
        assert flagged.flags is not None and "\\Flagged" in flagged.flags
        # IDLE ended (DONE): the session goes on.
        assert len(imap.search()) == 2
        # A command while an IDLE is still on (its iterator not closed) ends it first.
        held = imap.idle(timeout=5)
        server.store.account(BOB).inbox.append(note(3))
        assert next(held).kind == "exists"
        assert len(imap.search()) == 3
        held.close()
        assert len(imap.search()) == 3


def test_tls_starttls_and_implicit() -> None:
    with Server(tls="auto", imap_port=0, imaps_port=0, users={BOB: "secret"}) as server:
        _tls_sessions(server)


def _tls_sessions(server: Server) -> None:
    server.store.account(BOB).inbox.append(note(1))
    for tls, port in (("starttls", server.imap_port), ("implicit", server.imaps_port)):
        with IMAPClient(
            "localhost", port, BOB, "secret", tls=tls, cafile=server.tls_ca_file
        ) as imap:
            assert imap.tls_active and imap.tls_version.startswith("TLSv1.")
            assert "STARTTLS" not in imap.capabilities  # asked again inside TLS
            imap.select("INBOX")
            assert [m.subject for m in imap.messages()] == ["note 1"]
        if tls == "implicit":
            assert imap.url("INBOX").startswith("imaps://")
    with pytest.raises(IMAPCertificateError):
        IMAPClient("localhost", server.imaps_port, tls="implicit")  # the system's CAs


def test_failures_are_typed(server: Server) -> None:
    with pytest.raises(IMAPAuthError) as wrong:
        IMAPClient(server.host, server.imap_port, BOB, "wrong")
    assert wrong.value.status == "NO" and wrong.value.command == "AUTHENTICATE"
    with IMAPClient(server.host, server.imap_port, BOB, "secret") as imap:
        with pytest.raises(IMAPError) as missing:
            imap.select("Nonexistent")
        assert missing.value.status == "NO" and imap.selected is None
        rule = server.imap_reply("NO", "[UNAVAILABLE] not now", command="SELECT", times=1)
        with pytest.raises(IMAPError) as refused:
            imap.select("INBOX")
        assert refused.value.code == "UNAVAILABLE"
        rule.remove()
        imap.select("INBOX")
        server.imap_reply(disconnect=True, command="SEARCH", times=1)
        with pytest.raises(IMAPServerDisconnected):
            imap.search()
    with IMAPClient(server.host, server.imap_port, BOB, "secret", timeout=0.5) as imap:
        imap.select("INBOX")
        server.imap_reply(delay=3.0, command="SEARCH", times=1)
        with pytest.raises(IMAPTimeoutError, match="SEARCH"):
            imap.search()


def test_plaintext_password_refused_when_not_allowed() -> None:
    # Without TLS a password goes only to a peer on this host, unless
    # allow_plaintext_auth says otherwise (the SMTP and POP3 clients' rule);
    # here it says no: nothing is sent.
    with Server(imap_port=0, users={BOB: "secret"}) as s:
        with IMAPClient(s.host, s.imap_port, allow_plaintext_auth=False) as imap:
            with pytest.raises(IMAPAuthError, match="without TLS"):
                imap.login(BOB, "secret")
            assert "secret" not in imap.transcript


def test_bad_arguments(server: Server) -> None:
    with pytest.raises(ValueError, match="tls"):
        IMAPClient(server.host, server.imap_port, tls="sometimes")
    with IMAPClient(server.host, server.imap_port, BOB, "secret") as imap:
        with pytest.raises(IMAPError, match="select"):
            imap.search()
        imap.select("INBOX")
        with pytest.raises(ValueError, match="UID"):
            list(imap.fetch([0]))
        with pytest.raises(ValueError, match="flag"):
            imap.add_flags([1], ["bad flag"])
        with pytest.raises(ValueError, match="ASCII"):
            imap.search("TEXT caf\u00e9")
