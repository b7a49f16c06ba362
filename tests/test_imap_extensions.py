"""IMAP extensions with real clients: SORT and THREAD (RFC 5256) with imaplib
and imapclient, COMPRESS=DEFLATE (RFC 4978) with imaplib over a zlib stream;
results checked against what the server's store holds."""

from __future__ import annotations

import imaplib
import smtplib
from collections.abc import Iterator

import pytest

from mailroom import Server

from .conftest import require_module

USERS = {"bob@example.net": "secret"}
BOB = "bob@example.net"


@pytest.fixture
def server() -> Iterator[Server]:
    with Server(imap_port=0, users=USERS, auth_failure_delay=0) as s:
        yield s


def deliver(server: Server, subject: str, headers: str, body: str) -> None:
    with smtplib.SMTP(server.host, server.smtp_port) as c:
        c.sendmail(
            "alice@example.org",
            [BOB],
            f"Subject: {subject}\r\n{headers}\r\n{body}".encode(),
        )
    server.wait_for(to=BOB, subject=subject)


def two_conversations(server: Server) -> None:
    """1 "Lunch" <- 2 "Re: Lunch" <- 4 "Re: Re: lunch"; 3 "Report" alone."""
    deliver(
        server,
        "Lunch",
        "From: Zoe <zoe@example.org>\r\nDate: Mon, 1 Jan 2024 09:00:00 +0000\r\n"
        "Message-ID: <a@example.org>\r\n",
        "x" * 300,
    )
    deliver(
        server,
        "Re: Lunch",
        "From: adam@example.org\r\nDate: Tue, 2 Jan 2024 09:00:00 +0000\r\n"
        "Message-ID: <b@example.org>\r\nIn-Reply-To: <a@example.org>\r\n",
        "x" * 10,
    )
    deliver(
        server,
        "Report",
        "From: carl@example.org\r\nDate: Sun, 31 Dec 2023 09:00:00 +0000\r\n"
        "Message-ID: <c@example.org>\r\n",
        "x" * 100,
    )
    deliver(
        server,
        "Re: Re: lunch",
        "From: bea@example.org\r\nDate: Wed, 3 Jan 2024 09:00:00 +0000\r\n"
        "Message-ID: <d@example.org>\r\nReferences: <a@example.org> <b@example.org>\r\n",
        "x" * 200,
    )


def test_imaplib_sort_and_thread(server: Server) -> None:
    two_conversations(server)
    c = imaplib.IMAP4(server.host, server.imap_port, timeout=10)
    try:
        c.login(BOB, "secret")
        caps = c.capabilities
        assert {"SORT", "THREAD=REFERENCES", "THREAD=ORDEREDSUBJECT"} <= set(caps)
        c.select("INBOX")
        assert c.sort("(DATE)", "UTF-8", "ALL") == ("OK", [b"3 1 2 4"])
        assert c.sort("(REVERSE SIZE)", "UTF-8", "ALL") == ("OK", [b"1 4 3 2"])
        assert c.sort("(FROM)", "UTF-8", "ALL") == ("OK", [b"2 4 3 1"])
        assert c.sort("(SUBJECT DATE)", "UTF-8", "NOT", "FROM", "carl") == (
            "OK",
            [b"1 2 4"],
        )
        assert c.thread("REFERENCES", "UTF-8", "ALL") == ("OK", [b"(3)(1 2 4)"])
        assert c.thread("ORDEREDSUBJECT", "UTF-8", "ALL") == ("OK", [b"(3)(1 (2)(4))"])
        # The same with UIDs, after the first message is gone.
        c.store("1", "+FLAGS", "(\\Deleted)")
        c.expunge()
        assert [m.uid for m in server.store[BOB].inbox] == [2, 3, 4]
        assert c.uid("SORT", "(DATE)", "UTF-8", "ALL") == ("OK", [b"3 2 4"])
        # <a@...> is gone: its reply is a root now (RFC 5256 §3 step 4).
        assert c.uid("THREAD", "REFERENCES", "UTF-8", "ALL") == ("OK", [b"(3)(2 4)"])
        typ, data = c.sort("(DATE)", "KOI8-R", "ALL")
        assert typ == "NO" and data[0].startswith(b"[BADCHARSET (UTF-8 US-ASCII)]")
        with pytest.raises(imaplib.IMAP4.error, match="Unknown sort key"):
            c.sort("(WEIGHT)", "UTF-8", "ALL")
    finally:
        c.logout()


def test_imapclient_sort_and_thread(server: Server) -> None:
    imapclient = require_module("imapclient")
    two_conversations(server)
    c = imapclient.IMAPClient(server.host, port=server.imap_port, ssl=False, timeout=10)
    try:
        c.login(BOB, "secret")
        c.select_folder("INBOX")
        assert c.sort(["ARRIVAL"]) == [1, 2, 3, 4]
        assert c.sort(["SUBJECT", "REVERSE DATE"]) == [4, 2, 1, 3]
        assert c.thread("REFERENCES") == ((3,), (1, 2, 4))
        assert c.thread("ORDEREDSUBJECT", ["SUBJECT", "lunch"]) == ((1, (2,), (4,)),)
    finally:
        c.logout()
