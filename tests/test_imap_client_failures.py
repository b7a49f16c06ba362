"""mailroom.IMAPClient against servers that misbehave in ways no real server
should (a scripted socket on the other end): garbage, an overlong line, a
literal larger than the client's limit, a connection dropped in the middle
of a literal, silence. Each ends the session with a clear typed exception."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable

import pytest

from mailroom import (
    IMAPClient,
    IMAPConnectError,
    IMAPError,
    IMAPProtocolError,
    IMAPServerDisconnected,
    IMAPTimeoutError,
)

Script = Callable[[socket.socket], None]


def scripted_server(script: Script) -> tuple[int, threading.Thread, list[BaseException]]:
    listener = socket.create_server(("127.0.0.1", 0))
    errors: list[BaseException] = []

    def run() -> None:
        with listener:
            conn, _ = listener.accept()
            with conn:
                conn.settimeout(10)
                try:
                    script(conn)
                except BaseException as e:  # reported by the test
                    errors.append(e)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return listener.getsockname()[1], thread, errors


def read_command(conn: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\r\n"):
        chunk = conn.recv(1)
        if not chunk:
            break
        data += chunk
    return data


def logged_in_then(answer: Callable[[socket.socket, bytes], None]) -> Script:
    """Greets, answers the login (and CAPABILITY) and SELECT, then lets
    ``answer`` reply to the next command (given its tag)."""

    def script(conn: socket.socket) -> None:
        conn.sendall(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR] test server\r\n")
        while True:
            line = read_command(conn)
            tag = line.split(b" ", 1)[0]
            if b"CAPABILITY" in line:
                conn.sendall(b"* CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR\r\n")
            if b"SELECT" in line:
                conn.sendall(b"* 1 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n")
            conn.sendall(tag + b" OK done\r\n")
            if b"SELECT" in line or not line:
                break
        line = read_command(conn)
        answer(conn, line.split(b" ", 1)[0])

    return script


def session(script: Script, **options: object) -> tuple[IMAPClient, threading.Thread]:
    port, thread, _ = scripted_server(script)
    imap = IMAPClient("127.0.0.1", port, "bob", "secret", **options)  # type: ignore[arg-type]
    imap.select("INBOX")
    return imap, thread


def test_garbage_is_a_protocol_error() -> None:
    imap, t = session(logged_in_then(lambda c, tag: c.sendall(b"HTTP/1.1 200 OK\r\n\r\n")))
    with pytest.raises(IMAPProtocolError, match="malformed response: HTTP/1.1"):
        imap.search()
    assert not imap._native.connected
    t.join()


def test_malformed_fetch_is_a_protocol_error() -> None:
    reply = b"* 1 FETCH (UID one FLAGS (\\Seen))\r\n"
    imap, t = session(logged_in_then(lambda c, tag: c.sendall(reply)))
    with pytest.raises(IMAPProtocolError, match="malformed response"):
        list(imap.fetch([1]))
    t.join()


def test_overlong_line() -> None:
    imap, t = session(
        logged_in_then(lambda c, tag: c.sendall(b"* SEARCH " + b"1 " * 2000 + b"\r\n")),
        max_line=1024,
    )
    with pytest.raises(IMAPProtocolError, match="longer than 1024 octets"):
        imap.search()
    t.join()


def test_literal_over_the_limit_is_refused_before_it_is_read() -> None:
    def huge(conn: socket.socket, tag: bytes) -> None:
        conn.sendall(b"* 1 FETCH (UID 1 BODY[] {50000000}\r\n" + b"x" * 1000)

    imap, t = session(logged_in_then(huge), max_literal=1_000_000)
    with pytest.raises(IMAPProtocolError, match="literal of 50000000 octets is larger"):
        list(imap.fetch([1]))
    t.join()


def test_dropped_in_the_middle_of_a_literal() -> None:
    def half(conn: socket.socket, tag: bytes) -> None:
        conn.sendall(b"* 1 FETCH (UID 1 BODY[] {100}\r\nSubject: half\r\n")

    imap, t = session(logged_in_then(half))
    with pytest.raises(IMAPServerDisconnected, match="middle of a literal"):
        list(imap.fetch([1]))
    t.join()


def test_no_on_fetch_is_an_error_that_keeps_the_session() -> None:
    def refuse(conn: socket.socket, tag: bytes) -> None:
        conn.sendall(tag + b" NO [SERVERBUG] cannot read it\r\n")
        tag2 = read_command(conn).split(b" ", 1)[0]
        conn.sendall(b"* SEARCH 1\r\n" + tag2 + b" OK done\r\n")

    imap, t = session(logged_in_then(refuse))
    with pytest.raises(IMAPError, match="SERVERBUG") as e:
        list(imap.fetch([1]))
    assert e.value.code == "SERVERBUG" and e.value.status == "NO"
    assert imap.search() == [1]
    t.join()


def test_silence_is_a_timeout() -> None:
    stop = threading.Event()
    imap, t = session(logged_in_then(lambda c, tag: stop.wait(5)), timeout=0.3)
    with pytest.raises(IMAPTimeoutError, match="UID SEARCH"):
        imap.search()
    stop.set()
    t.join()


def test_bye_greeting() -> None:
    port, t, _ = scripted_server(lambda c: c.sendall(b"* BYE too many connections\r\n"))
    with pytest.raises(IMAPConnectError, match="too many connections"):
        IMAPClient("127.0.0.1", port)
    t.join()
