"""IMAP extensions with real clients: SORT and THREAD (RFC 5256) with imaplib
and imapclient, COMPRESS=DEFLATE (RFC 4978) with imaplib over a zlib stream;
results checked against what the server's store holds."""

from __future__ import annotations

import base64
import imaplib
import mailbox
import smtplib
import socket
import subprocess
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailroom import Server

from .conftest import require_module, require_program

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


class DeflateIMAP4(imaplib.IMAP4):
    """imaplib with COMPRESS=DEFLATE (RFC 4978): after the OK, every octet
    both ways is raw DEFLATE, each command sync-flushed."""

    wire_in = 0  # compressed octets read

    def compress(self) -> None:
        self._deflate: zlib._Compress | None = None
        typ, data = self._simple_command("COMPRESS", "DEFLATE")
        assert typ == "OK", data
        self._deflate = zlib.compressobj(6, zlib.DEFLATED, -15)
        self._inflate = zlib.decompressobj(-15)
        self._plain = b""

    def send(self, data: bytes) -> None:
        deflate = getattr(self, "_deflate", None)
        if deflate is not None:
            data = deflate.compress(data) + deflate.flush(zlib.Z_SYNC_FLUSH)
        super().send(data)

    def _more(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise self.abort("socket closed")
        self.wire_in += len(chunk)
        self._plain += self._inflate.decompress(chunk)

    def read(self, size: int) -> bytes:
        if getattr(self, "_deflate", None) is None:
            return super().read(size)
        while len(self._plain) < size:
            self._more()
        out, self._plain = self._plain[:size], self._plain[size:]
        return out

    def readline(self) -> bytes:
        if getattr(self, "_deflate", None) is None:
            return super().readline()
        while b"\n" not in self._plain:
            self._more()
        end = self._plain.index(b"\n") + 1
        out, self._plain = self._plain[:end], self._plain[end:]
        return out


def test_imaplib_compress_deflate(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(imaplib.Commands, "COMPRESS", ("AUTH", "SELECTED"))
    text = "".join(f"line {i} of a long and repetitive message\r\n" for i in range(4000))
    deliver(server, "big", "From: carl@example.org\r\n", text)
    c = DeflateIMAP4(server.host, server.imap_port, timeout=10)
    try:
        assert "COMPRESS=DEFLATE" not in c.capabilities  # before login: not offered
        c.login(BOB, "secret")
        assert b"COMPRESS=DEFLATE" in c.capability()[1][0]  # type: ignore[operator]
        c.compress()
        typ, data = c.select("INBOX")
        assert (typ, data) == ("OK", [b"1"])
        typ, data = c.fetch("1", "(BODY.PEEK[TEXT])")
        assert typ == "OK"
        assert data[0][1] == text.encode()  # type: ignore[index]
        # What crossed the wire was compressed: far less than the text.
        assert c.wire_in < len(text) // 5
        # An APPEND literal through the compressed stream, and asking twice.
        note = b"Subject: compressed append\r\n\r\n" + b"same words again " * 5000 + b"\r\n"
        typ, data = c.append("INBOX", "(\\Seen)", None, note)
        assert typ == "OK", data
        typ, data = c._simple_command("COMPRESS", "DEFLATE")
        assert typ == "NO" and b"[COMPRESSIONACTIVE]" in data[0]  # type: ignore[operator]
        assert c.noop()[0] == "OK"
    finally:
        c.logout()
    [_, appended] = server.store[BOB].inbox.messages()
    assert server.store[BOB].inbox.fetch(appended.uid) == note
    assert appended.flags == {"\\Seen"}
    [transcript] = [t for t in server.imap_transcripts if "COMPRESS" in str(t)]
    # The record goes on in plain text after the switch.
    after = str(transcript).split("-- DEFLATE compression from here on, both ways\n")[1]
    assert "SELECT INBOX" in after and "OK NOOP completed" in after


def test_corrupt_deflate_input_closes_the_connection(server: Server) -> None:
    with socket.create_connection((server.host, server.imap_port), timeout=10) as s:
        f = s.makefile("rb")
        f.readline()
        s.sendall(f"a1 LOGIN {BOB} secret\r\n".encode())
        f.readline()
        s.sendall(b"a2 COMPRESS DEFLATE\r\n")
        assert f.readline() == b"a2 OK DEFLATE active\r\n"
        s.sendall(b"\xff\xfe not deflate at all\r\n")
        assert f.read() == b""  # closed, without a word it could not encode
    # The server goes on.
    c = imaplib.IMAP4(server.host, server.imap_port, timeout=10)
    c.login(BOB, "secret")
    c.logout()


def test_mbsync_syncs_over_compress_deflate(server: Server, tmp_path: Path) -> None:
    mbsync = require_program("mbsync")
    text = "".join(f"row {i}: the same few words\r\n" for i in range(3000))
    deliver(server, "to sync", "From: carl@example.org\r\n", text)
    local = tmp_path / "mail"
    local.mkdir()
    rc = tmp_path / "mbsyncrc"
    rc.write_text(
        f"IMAPAccount mailroom\nHost 127.0.0.1\nPort {server.imap_port}\nUser {BOB}\n"
        "Pass secret\nSSLType None\nAuthMechs LOGIN\n\n"
        "IMAPStore remote\nAccount mailroom\n\n"
        f"MaildirStore local\nPath {local}/\nInbox {local}/INBOX\n\n"
        "Channel sync\nFar :remote:INBOX\nNear :local:INBOX\nSync All\nSyncState *\n"
    )
    done = subprocess.run(
        [mbsync, "-c", str(rc), "-a"],
        capture_output=True,
        text=True,
        timeout=120,
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    [m] = list(mailbox.Maildir(local / "INBOX", create=False))
    assert str(m.get_payload()).replace("\n", "\r\n").endswith(text.rstrip("\r\n") + "\r\n")
    compressed = [t for t in server.imap_transcripts if "COMPRESS DEFLATE" in str(t)]
    assert compressed, "mbsync did not ask for COMPRESS=DEFLATE"
    assert "OK DEFLATE active" in str(compressed[0])
    assert "UID FETCH" in str(compressed[0])


def test_compress_inside_starttls(monkeypatch: pytest.MonkeyPatch) -> None:
    # RFC 4978 §4: TLS first, then compression inside it.
    monkeypatch.setitem(imaplib.Commands, "COMPRESS", ("AUTH", "SELECTED"))
    with Server(imap_port=0, tls="auto", users=USERS, auth_failure_delay=0) as s:
        deliver(s, "secret stuff", "", "under TLS and DEFLATE\r\n" * 200)
        c = DeflateIMAP4(s.host, s.imap_port, timeout=10)
        try:
            c.starttls(ssl_context=s.ssl_context())
            c.login(BOB, "secret")
            c.compress()
            c.select("INBOX")
            typ, data = c.fetch("1", "(BODY.PEEK[TEXT])")
            assert data[0][1] == b"under TLS and DEFLATE\r\n" * 200  # type: ignore[index]
        finally:
            c.logout()


def test_imaplib_fetch_binary_and_append_literal8(server: Server) -> None:
    payload = bytes(range(256)) * 4  # every octet, NUL included
    encoded = base64.encodebytes(payload).replace(b"\n", b"\r\n")
    message = (
        b"Subject: attachment\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="x"\r\n\r\n'
        b"--x\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
        b"--x\r\nContent-Type: application/octet-stream\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + encoded + b"--x--\r\n"
    )
    server.store.account(BOB).inbox.append(message)
    c = imaplib.IMAP4(server.host, server.imap_port, timeout=10)
    try:
        c.login(BOB, "secret")
        assert "BINARY" in c.capabilities or b"BINARY" in c.capability()[1][0]  # type: ignore[operator]
        c.select("INBOX")
        typ, data = c.uid("FETCH", "1", "(BINARY.SIZE[2] BINARY.PEEK[2])")
        assert typ == "OK"
        assert b"BINARY.SIZE[2] 1024" in data[0][0]  # type: ignore[index,operator]
        assert data[0][0].endswith(b"BINARY[2] ~{1024}")  # type: ignore[index,union-attr]
        assert data[0][1] == payload  # type: ignore[index]
        assert "\\Seen" not in server.store[BOB].inbox.get(1).flags  # type: ignore[union-attr]
        typ, data = c.fetch("1", "(BINARY[2]<1000.100>)")
        assert data[0][1] == payload[1000:]  # type: ignore[index]
        assert "\\Seen" in server.store[BOB].inbox.get(1).flags  # type: ignore[union-attr]
        # APPEND with a literal8: imaplib writes "{n}", so the command is sent by hand.
        raw = b"Subject: raw\r\nContent-Transfer-Encoding: binary\r\n\r\n\x00\x01\x02\r\n"
        tag = c._new_tag()
        c.send(tag + b" APPEND INBOX ~{%d}\r\n" % len(raw))
        assert c.readline().startswith(b"+")
        c.send(raw + b"\r\n")
        while not (line := c.readline()).startswith(tag):
            pass
        assert line.startswith(tag + b" OK [APPENDUID"), line
    finally:
        c.logout()
    assert server.store[BOB].inbox.fetch(2) == raw


def test_imapclient_multiappend(server: Server) -> None:
    imapclient = require_module("imapclient")
    c = imapclient.IMAPClient(server.host, port=server.imap_port, ssl=False, timeout=10)
    try:
        c.login(BOB, "secret")
        assert b"MULTIAPPEND" in c.capabilities()
        msgs = [
            {"msg": b"Subject: a\r\n\r\nfirst\r\n", "flags": [b"\\Seen"]},
            b"Subject: b\r\n\r\nsecond\r\n",
            {"msg": b"Subject: c\r\n\r\nthird\r\n", "flags": [b"$Later"]},
        ]
        typ, [answer] = c.multiappend("Drafts", msgs)
        assert typ == "OK" and answer.startswith(b"[APPENDUID ") and b" 1:3] " in answer
        drafts = server.store[BOB]["Drafts"]
        assert [drafts.fetch(m.uid) for m in drafts.messages()] == [
            b"Subject: a\r\n\r\nfirst\r\n",
            b"Subject: b\r\n\r\nsecond\r\n",
            b"Subject: c\r\n\r\nthird\r\n",
        ]
        assert [m.flags for m in drafts.messages()] == [{"\\Seen"}, set(), {"$Later"}]
        # One bad message: none of them is stored.
        typ, [answer] = c.multiappend("Drafts", [b"Subject: d\r\n\r\nfourth\r\n", b""])
        assert typ == "NO" and answer.startswith(b"[CANNOT]")
        assert len(drafts.messages()) == 3
    finally:
        c.logout()


def test_imaplib_utf8_accept(server: Server) -> None:
    c = imaplib.IMAP4(server.host, server.imap_port, timeout=10)
    try:
        c.login(BOB, "secret")
        # Before ENABLE: 8-bit in a quoted string is BAD, as in any IMAP4rev1 session.
        with pytest.raises(imaplib.IMAP4.error, match="8-bit octet"):
            c._simple_command("CREATE", '"Café"'.encode())
        assert c.enable("UTF8=ACCEPT")[0] == "OK" and c.utf8_enabled
        assert c.create('"Café/Größe"')[0] == "OK"
        assert {f.name for f in server.store[BOB].folders()} >= {"Café", "Café/Größe"}
        typ, listed = c.list('""', '"Caf*"')
        assert listed == [
            b'(\\HasChildren) "/" "Caf\xc3\xa9"',
            b'(\\HasNoChildren) "/" "Caf\xc3\xa9/Gr\xc3\xb6\xc3\x9fe"',
        ]
        # imaplib wraps "UTF8 (" into its literal rather than around a literal8,
        # so this APPEND goes by hand (RFC 6855 §4: UTF8 (~{n})).
        message = "Subject: Grüße aus Köln\r\nFrom: jörg@example.org\r\n\r\nhallo\r\n".encode()
        tag = c._new_tag()
        c.send(tag + b' APPEND "Caf\xc3\xa9/Gr\xc3\xb6\xc3\x9fe" UTF8 (~{%d}\r\n' % len(message))
        assert c.readline().startswith(b"+")
        c.send(message + b")\r\n")
        assert c.readline().startswith(tag + b" OK [APPENDUID ")
        assert c.select('"Café/Größe"') == ("OK", [b"1"])
        assert c.search(None, "SUBJECT", '"grüße"') == ("OK", [b"1"])
        # A message with 8-bit header fields in a plain literal: refused now.
        tag = c._new_tag()
        c.send(tag + b" APPEND INBOX {%d+}\r\n" % len(message) + message + b"\r\n")
        assert c.readline() == tag + b" NO 8-bit header fields need APPEND ... UTF8 (~{n})\r\n"
    finally:
        c.logout()
    [m] = server.store[BOB]["Café/Größe"].messages()
    assert server.store[BOB]["Café/Größe"].fetch(m.uid) == message
    assert len(server.store[BOB].inbox.messages()) == 0
