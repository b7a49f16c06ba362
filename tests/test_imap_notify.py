"""NOTIFY (RFC 5465) with two real clients on one account: imaplib appends,
flags, expunges, creates, renames and subscribes in another folder, and a
client on a raw socket (imaplib cannot wait for unsolicited responses)
hears of each through NOTIFY, without sending a command, as it happens."""

from __future__ import annotations

import imaplib
import re
import socket
import time
from collections.abc import Iterator

import pytest

from mailroom import Server

from .test_imap_clients import BOB, deliver


@pytest.fixture
def server() -> Iterator[Server]:
    with Server(imap_port=0, users={BOB: "secret"}, auth_failure_delay=0) as s:
        deliver(s, "one")
        s.store[BOB].create_folder("Work")
        yield s


class Listener:
    """An IMAP client that reads the server's lines as they come."""

    def __init__(self, server: Server) -> None:
        self.sock = socket.create_connection((server.host, server.imap_port), timeout=10)
        self.buffer = b""
        self.line()  # the greeting

    def line(self, timeout: float = 10) -> str:
        end = time.monotonic() + timeout
        while b"\r\n" not in self.buffer:
            self.sock.settimeout(max(0.01, end - time.monotonic()))
            data = self.sock.recv(65536)
            if not data:
                raise AssertionError("the server closed the connection")
            self.buffer += data
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line.decode()

    def command(self, text: str) -> list[str]:
        """Sends `text` (tagged t1) and returns the lines up to its OK."""
        self.sock.sendall(b"t1 " + text.encode() + b"\r\n")
        lines = []
        while not (lines and lines[-1].startswith("t1 ")):
            lines.append(self.line())
        assert lines[-1].startswith("t1 OK"), lines
        return lines

    def expect(self, pattern: str) -> str:
        """The next line, which must match `pattern` (a regular expression)."""
        got = self.line()
        assert re.fullmatch(pattern, got), (pattern, got)
        return got

    def close(self) -> None:
        self.sock.close()


def test_notify_tells_one_client_what_another_does(server: Server) -> None:
    listener = Listener(server)
    other = imaplib.IMAP4(server.host, server.imap_port, timeout=10)
    try:
        caps = listener.command("LOGIN " + BOB + " secret")[-1]
        assert " NOTIFY " in caps
        listener.command("SELECT INBOX")
        listener.command(
            "NOTIFY SET (SELECTED (MessageNew (UID BODY.PEEK[HEADER.FIELDS (SUBJECT)]) "
            "MessageExpunge FlagChange)) "
            "(PERSONAL (MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange))"
        )
        other.login(BOB, "secret")
        # A message appended to Work: its STATUS.
        typ, _ = other.append("Work", "", None, b"Subject: report\r\n\r\nnumbers\r\n")
        assert typ == "OK"
        listener.expect(r'\* STATUS "Work" \(MESSAGES 1 UIDNEXT 2 UIDVALIDITY \d+ UNSEEN 1\)')
        # Flagged there: UNSEEN changes (FlagChange).
        other.select("Work")
        assert other.store("1", "+FLAGS", "(\\Seen)")[0] == "OK"
        listener.expect(r'\* STATUS "Work" \(MESSAGES 1 UIDNEXT 2 UIDVALIDITY \d+ UNSEEN 0\)')
        # Expunged there.
        assert other.store("1", "+FLAGS", "(\\Deleted)")[0] == "OK"
        listener.expect(r'\* STATUS "Work" \(MESSAGES 1 UIDNEXT 2 UIDVALIDITY \d+ UNSEEN 0\)')
        assert other.expunge()[0] == "OK"
        listener.expect(r'\* STATUS "Work" \(MESSAGES 0 UIDNEXT 2 UIDVALIDITY \d+ UNSEEN 0\)')
        other.close()
        # Folders made and renamed, and a subscription.
        assert other.create("Work/2024")[0] == "OK"
        listener.expect(r'\* LIST \(\) "/" "Work/2024"')
        assert other.rename("Work/2024", "Work/Done")[0] == "OK"
        listener.expect(r'\* LIST \(\) "/" "Work/Done" \("OLDNAME" \("Work/2024"\)\)')
        assert other.subscribe("Work/Done")[0] == "OK"
        listener.expect(r'\* LIST \(\\Subscribed\) "/" "Work/Done"')
        # A message for the selected INBOX: EXISTS and what MessageNew
        # asked for, with no command sent.
        deliver(server, "two")
        listener.expect(r"\* 2 EXISTS")
        listener.expect(r"\* 2 RECENT")
        listener.expect(r"\* 2 FETCH \(UID 2 BODY\[HEADER.FIELDS \(SUBJECT\)\] \{\d+\}")
        assert listener.line() == "Subject: two"
        assert listener.line() == ""
        assert listener.line() == ")"
        # NOTIFY NONE: quiet again, whatever the other client does.
        listener.command("NOTIFY NONE")
        assert other.create("Quiet")[0] == "OK"
        assert listener.command("NOOP") == ["t1 OK NOOP completed"]
    finally:
        other.logout()
        listener.close()


def test_sessions_with_and_without_notify_on_one_inbox(server: Server) -> None:
    """Another client appends, flags and expunges in INBOX: a session with
    NOTIFY hears of the new message and the flags at once (RFC 5465 §6.1),
    one without at its next command (RFC 9051 §7); each gets its EXISTS,
    FETCH and EXPUNGE."""
    notified, plain = Listener(server), Listener(server)
    other = imaplib.IMAP4(server.host, server.imap_port, timeout=10)
    try:
        for session in (notified, plain):
            session.command("LOGIN " + BOB + " secret")
            session.command("SELECT INBOX")
        notified.command("NOTIFY SET (SELECTED (MessageNew (UID) MessageExpunge FlagChange))")
        other.login(BOB, "secret")
        other.select("INBOX")
        typ, _ = other.append("INBOX", "", None, b"Subject: two\r\n\r\nhello\r\n")
        assert typ == "OK"
        notified.expect(r"\* 2 EXISTS")
        notified.expect(r"\* [12] RECENT")  # 2 unless the appending session learnt of it first
        notified.expect(r"\* 2 FETCH \(UID 2\)")
        assert plain.command("NOOP") == ["* 2 EXISTS", "* 0 RECENT", "t1 OK NOOP completed"]
        assert other.store("1", "+FLAGS", "(\\Flagged)")[0] == "OK"
        notified.expect(r"\* 1 FETCH \(UID 1 FLAGS \(\\Flagged \\Recent\)\)")
        assert plain.command("NOOP") == [
            "* 1 FETCH (UID 1 FLAGS (\\Flagged))",
            "t1 OK NOOP completed",
        ]
        assert other.store("2", "+FLAGS.SILENT", "(\\Deleted)")[0] == "OK"
        assert other.expunge()[0] == "OK"
        notified.expect(r"\* 2 FETCH \(UID 2 FLAGS \(\\Deleted( \\Recent)?\)\)")
        assert plain.command("NOOP") == ["* 2 EXPUNGE", "t1 OK NOOP completed"]
        # RFC 9051 §7.5.1: no EXPUNGE while no command is in progress, so
        # the NOTIFY session too hears of it at its next command.
        assert notified.command("NOOP") == ["* 2 EXPUNGE", "t1 OK NOOP completed"]
        assert [m.uid for m in server.store[BOB].folder("INBOX").messages()] == [1]
    finally:
        other.logout()
        notified.close()
        plain.close()


def test_notify_status_reports_at_once(server: Server) -> None:
    """NOTIFY SET STATUS: a STATUS for each mailbox it covers, before the OK."""
    listener = Listener(server)
    try:
        listener.command("LOGIN " + BOB + " secret")
        lines = listener.command(
            "NOTIFY SET STATUS (MAILBOXES (INBOX Work) (MessageNew MessageExpunge))"
        )
        assert [re.sub(r"UIDVALIDITY \d+", "UIDVALIDITY V", x) for x in lines] == [
            '* STATUS "INBOX" (MESSAGES 1 UIDNEXT 2 UIDVALIDITY V)',
            '* STATUS "Work" (MESSAGES 0 UIDNEXT 1 UIDVALIDITY V)',
            "t1 OK NOTIFY completed",
        ]
    finally:
        listener.close()
