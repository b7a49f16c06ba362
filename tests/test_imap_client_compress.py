"""COMPRESS=DEFLATE (RFC 4978) in mailroom.IMAPClient: after login when the
server offers it (by default only for a server on another host), every byte both ways raw
DEFLATE from the octet after the OK, inside TLS when there is TLS (§4);
against mailroom's own server, a throwaway Dovecot (its imap_zlib plugin),
and a scripted server whose "compressed" stream is not DEFLATE."""

from __future__ import annotations

import socket
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailroom import IMAPClient, IMAPProtocolError, Server

from .peers import Dovecot

BOB = "bob@example.net"


def note(n: int, size: int) -> bytes:
    line = f"line of message {n} " + "abcdefghij" * 5 + "\r\n"
    return (
        f"From: alice@example.org\r\nTo: {BOB}\r\nSubject: note {n}\r\n"
        f"Message-ID: <z{n}@example.org>\r\n\r\n" + line * (size // len(line))
    ).encode()


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with Server(imap_port=0, users={BOB: "secret"}, auth_failure_delay=0) as s:
        yield s


def test_on_after_login(server: Server) -> None:
    server.clear()
    box = server.store.account(BOB).inbox
    for n in range(300):
        box.append(note(n, 20_000))
    with IMAPClient(server.host, server.imap_port, BOB, "secret", compress=True) as imap:
        assert imap.compressing
        lines = imap.transcript.splitlines()
        compress = next(
            i for i, li in enumerate(lines) if li.startswith("C: a") and "COMPRESS" in li
        )
        assert lines[compress].endswith("COMPRESS DEFLATE")
        assert lines[compress + 1].startswith("S: ") and " OK " in lines[compress + 1]
        assert "DEFLATE compression from here on" in lines[compress + 2]
        imap.compress()  # once is enough: nothing more to do
        imap.select("INBOX", readonly=True)
        got = list(imap.fetch(imap.search(), batch=50))
        assert len(got) == 300
        assert all(bytes(m) == note(n, 20_000) for n, m in enumerate(got))
        imap.append("INBOX", note(300, 50_000))  # a literal, compressed on the way up
        imap.select("INBOX", readonly=True)
        assert bytes(next(iter(imap.fetch(imap.search()[-1:])))) == note(300, 50_000)


@pytest.mark.parametrize("compress", [None, False])
def test_off_on_loopback_or_when_asked(server: Server, compress: bool | None) -> None:
    """On this host compression would only cost time: off unless asked."""
    with IMAPClient(server.host, server.imap_port, BOB, "secret", compress=compress) as imap:
        assert imap.has_capability("COMPRESS=DEFLATE") and not imap.compressing
        assert "COMPRESS" not in imap.transcript.replace("COMPRESS=DEFLATE", "")
        imap.compress()
        assert imap.compressing
        imap.select("INBOX")


@pytest.fixture(scope="module")
def dovecot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dovecot]:
    tmp = tmp_path_factory.mktemp("dovecot-compress")
    (tmp / "mail").mkdir()
    with Dovecot(tmp / "work", tmp / "mail", imap=True, tls=True) as d:
        yield d


def test_dovecot_inside_starttls(dovecot: Dovecot) -> None:
    """TLS first, then COMPRESS (§4); a large FETCH through both."""
    messages = {f"{n}.eml": note(n, 30_000) for n in range(400)}
    dovecot.add_mailbox("carol", messages)
    assert dovecot.imap_port is not None and dovecot.cert_file is not None
    with IMAPClient(
        "127.0.0.1",
        dovecot.imap_port,
        "carol",
        dovecot.password,
        tls="starttls",
        cafile=dovecot.cert_file,
        server_hostname=dovecot.hostname,
        compress=True,
    ) as imap:
        assert imap.tls_active and imap.compressing
        transcript = imap.transcript
        assert transcript.index("STARTTLS") < transcript.index("COMPRESS DEFLATE")
        imap.select("INBOX", readonly=True)
        got = {bytes(m) for m in imap.fetch(imap.search(), batch=100)}
        assert got == set(messages.values())


def test_not_deflate_is_a_protocol_error(tmp_path: Path) -> None:
    """The server says OK to COMPRESS, then sends what is not DEFLATE."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def read_line(conn: socket.socket) -> bytes:
        data = b""
        while not data.endswith(b"\r\n"):
            chunk = conn.recv(1)
            if not chunk:
                break
            data += chunk
        return data

    def script() -> None:
        with listener:
            conn, _ = listener.accept()
            with conn:
                conn.settimeout(10)
                caps = b"IMAP4rev1 AUTH=PLAIN SASL-IR COMPRESS=DEFLATE"
                conn.sendall(b"* OK [CAPABILITY " + caps + b"] test server\r\n")
                while True:
                    line = read_line(conn)
                    tag = line.split(b" ", 1)[0]
                    if not line:
                        return
                    if b"COMPRESS" in line:
                        conn.sendall(tag + b" OK DEFLATE active\r\n")
                        break
                    conn.sendall(tag + b" OK [CAPABILITY " + caps + b"] done\r\n")
                z = zlib.decompressobj(-15)
                wire = conn.recv(4096)  # the client's next command, compressed
                assert b"NOOP" in z.decompress(wire)
                conn.sendall(b"\xff" * 64)  # a reserved block type: not DEFLATE
                conn.recv(4096)

    thread = threading.Thread(target=script, daemon=True)
    thread.start()
    imap = IMAPClient("127.0.0.1", port, "bob", "secret", timeout=10, compress=True)
    assert imap.compressing
    with pytest.raises(IMAPProtocolError, match="decompress"):
        imap.noop()
    imap.close()
    thread.join(10)
