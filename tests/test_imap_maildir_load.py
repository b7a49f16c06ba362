"""IMAP on a Maildir with many sessions at once: their APPENDs share the
disk flushes, every APPENDUID is the UID the message keeps (after a restart,
and as Dovecot reads the tree), and a session that pipelines behind an
APPEND gets its replies in order."""

from __future__ import annotations

import imaplib
import re
import socket
import threading
from pathlib import Path

from mailroom import Server

from .peers import Dovecot

BOB = "bob@example.net"
USERS = {BOB: "secret"}


def imap(server: Server) -> imaplib.IMAP4:
    assert server.imap_port
    c = imaplib.IMAP4(server.host, server.imap_port, timeout=30)
    c.login(BOB, "secret")
    return c


def appended_uid(data: list[bytes]) -> int:
    m = re.search(rb"APPENDUID \d+ (\d+)", data[0])
    assert m, data
    return int(m[1])


def concurrent_appends(server: Server, clients: int, each: int) -> dict[int, bytes]:
    """`clients` sessions APPEND `each` messages to INBOX at once, while one
    more flags and expunges; UID -> message."""
    got: dict[int, bytes] = {}
    errors: list[BaseException] = []
    lock = threading.Lock()

    def appender(n: int) -> None:
        try:
            c = imap(server)
            for i in range(each):
                body = f"Subject: s{n} m{i}\r\n\r\nfrom session {n}\r\n".encode()
                typ, data = c.append("INBOX", "(\\Seen)" if i % 2 else None, None, body)
                assert typ == "OK", data
                with lock:
                    got[appended_uid(data)] = body
            c.logout()
        except BaseException as e:  # noqa: BLE001 - reported by the test below
            errors.append(e)

    def flagger() -> None:
        try:
            c = imap(server)
            c.select("INBOX")
            for _ in range(each):
                assert c.uid("STORE", "1:*", "+FLAGS.SILENT", "(\\Flagged)")[0] == "OK"
                assert c.uid("STORE", "1:*", "-FLAGS.SILENT", "(\\Flagged)")[0] == "OK"
                assert c.expunge()[0] == "OK"
            c.logout()
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=appender, args=(n,)) for n in range(clients)]
    threads.append(threading.Thread(target=flagger))
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    return got


def fetched(c: imaplib.IMAP4) -> dict[int, bytes]:
    typ, data = c.uid("FETCH", "1:*", "(UID BODY.PEEK[])")
    assert typ == "OK", data
    out = {}
    for part in data:
        if isinstance(part, tuple):
            m = re.search(rb"UID (\d+)", part[0])
            assert m, part
            out[int(m[1])] = part[1]
    return out


def test_concurrent_appends_keep_their_uids_on_disk(tmp_path: Path) -> None:
    root = tmp_path / "mail"
    with Server(imap_port=0, maildir=root, users=USERS) as s:
        got = concurrent_appends(s, clients=8, each=12)
        assert len(got) == 8 * 12  # every APPENDUID is its own
        c = imap(s)
        c.select("INBOX")
        assert fetched(c) == got
        c.logout()
    # The UID list on disk ascends, without a gap or a repeat.
    lines = (root / BOB / "dovecot-uidlist").read_text().splitlines()
    uids = [int(line.split()[0]) for line in lines[1:]]
    assert uids == sorted(got) and len(set(uids)) == len(uids)
    with Server(imap_port=0, maildir=root, users=USERS) as s:
        c = imap(s)
        c.select("INBOX")
        assert fetched(c) == got
        c.logout()
    with Dovecot(tmp_path / "dovecot", root, password="secret", imap=True) as d:
        assert d.imap_port
        c = imaplib.IMAP4("127.0.0.1", d.imap_port, timeout=30)
        c.login(BOB, "secret")
        c.select("INBOX")
        assert fetched(c) == got
        c.logout()


def test_pipelined_commands_wait_for_the_append(tmp_path: Path) -> None:
    with Server(imap_port=0, maildir=tmp_path / "mail", users=USERS) as s:
        assert s.imap_port
        note = b"Subject: pipelined\r\n\r\nbody\r\n"
        with socket.create_connection((s.host, s.imap_port), timeout=30) as sock:
            append = b"c APPEND INBOX {%d+}\r\n%s\r\n" % (len(note), note)
            sock.sendall(
                b"a LOGIN bob@example.net secret\r\nb SELECT INBOX\r\n"
                + append
                + b"d UID STORE 1 +FLAGS (\\Deleted)\r\ne UID EXPUNGE 1\r\nf LOGOUT\r\n"
            )
            wire = b""
            while not wire.endswith(b"f OK LOGOUT completed\r\n"):
                chunk = sock.recv(65536)
                assert chunk, wire
                wire += chunk
        lines = wire.split(b"\r\n")
        tagged = [(line.split(b" ")[0], i) for i, line in enumerate(lines) if line[:2] != b"* "]
        at = {tag: i for tag, i in tagged if tag}
        assert [at[t] for t in (b"a", b"b", b"c", b"d", b"e", b"f")] == sorted(at.values())
        # The session's own APPEND: EXISTS before c's OK; then d's FETCH and
        # e's EXPUNGE, each before its own tagged reply.
        assert lines.index(b"* 1 EXISTS") < at[b"c"]
        assert lines[at[b"c"]].startswith(b"c OK [APPENDUID ")
        assert at[b"c"] < lines.index(b"* 1 FETCH (UID 1 FLAGS (\\Deleted \\Recent))") < at[b"d"]
        assert at[b"d"] < lines.index(b"* 1 EXPUNGE") < at[b"e"]
        assert list(s.store[BOB].inbox) == []
