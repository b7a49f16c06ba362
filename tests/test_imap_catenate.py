"""CATENATE (RFC 4469) with imaplib: a draft put together on the server from
new text and a part of a message already there, as a webmail client
forwards an attachment without downloading it; and the [BADURL] a client
gets for a URL that names nothing."""

from __future__ import annotations

import imaplib
from collections.abc import Iterator

import pytest

from mailroom import Server

BOB = "bob@example.net"
REPORT = (
    b"From: ann@example.org\r\nSubject: report\r\nMIME-Version: 1.0\r\n"
    b"Content-Type: multipart/mixed; boundary=b\r\n\r\n"
    b"--b\r\nContent-Type: text/plain\r\n\r\nthe figures\r\n"
    b"--b\r\nContent-Type: text/csv; name=q3.csv\r\n\r\nregion,total\r\nnorth,12\r\n--b--\r\n"
)


@pytest.fixture
def server() -> Iterator[Server]:
    with Server(imap_port=0, users={BOB: "secret"}) as s:
        yield s


def test_imaplib_catenate_forwards_a_part(server: Server) -> None:
    assert server.imap_port
    c = imaplib.IMAP4(server.host, server.imap_port, timeout=10)
    c.login(BOB, "secret")
    assert "CATENATE" in c.capabilities
    assert c.append("INBOX", None, None, REPORT)[0] == "OK"
    head = b"Subject: Fwd: report\r\nContent-Type: text/csv\r\n\r\n"
    # imaplib has no CATENATE: the parts go as one argument, the TEXT
    # literal non-synchronizing (LITERAL+).
    parts = f'(TEXT {{{len(head)}+}}\r\n{head.decode()} URL "/INBOX/;UID=1/;SECTION=2")'
    typ, data = c._simple_command("APPEND", "Drafts", "(\\Draft)", "CATENATE", parts)
    assert typ == "OK", data
    assert b"[APPENDUID " in (data[0] or b"")
    drafts = server.store[BOB]["Drafts"]
    [draft] = drafts.messages()
    assert drafts.fetch(draft.uid) == head + b"region,total\r\nnorth,12"
    assert draft.flags == {"\\Draft"}
    typ, data = c._simple_command("APPEND", "Drafts", "CATENATE", "(URL /INBOX/;UID=7)")
    assert typ == "NO" and data == [b"[BADURL /INBOX/;UID=7] No such message"]
    assert len(drafts) == 1
    c.logout()
