"""What the clients raise when the server cannot be reached or does not answer:
errors that say what happened (the name does not resolve, the connection was
refused, which wait timed out after how long), in the classes the README
lists, so ``except SMTPError`` and ``except ConnectionError`` both work."""

from __future__ import annotations

import contextlib
import errno
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

import mailroom
from mailroom import (
    Message,
    POP3Client,
    POP3ConnectError,
    POP3Error,
    POP3HostNotFoundError,
    POP3TimeoutError,
    Server,
    SMTPClient,
    SMTPConnectError,
    SMTPConnectTimeoutError,
    SMTPError,
    SMTPHostNotFoundError,
    SMTPTimeoutError,
)

from .peers import free_port

NO_SUCH_HOST = "no-such-host.invalid"  # RFC 2606: never resolves


def message() -> Message:
    return Message.build(sender="a@example.org", to="b@example.org", subject="s", text="x")


@contextlib.contextmanager
def silent_server(greeting: bytes = b"") -> Iterator[int]:
    """A TCP server that accepts, says `greeting` (if any) and then nothing."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    conns: list[socket.socket] = []
    stop = threading.Event()

    def run() -> None:
        listener.settimeout(0.05)
        while not stop.is_set():
            try:
                c, _ = listener.accept()
            except OSError:
                continue
            conns.append(c)
            if greeting:
                c.sendall(greeting)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    try:
        yield port
    finally:
        stop.set()
        t.join()
        for c in conns:
            c.close()
        listener.close()


def test_unknown_host_is_a_resolution_error_not_a_permission_error() -> None:
    with pytest.raises(SMTPHostNotFoundError) as info:
        SMTPClient(NO_SUCH_HOST, 25)
    e = info.value
    assert isinstance(e, socket.gaierror) and isinstance(e, SMTPConnectError)
    assert isinstance(e, SMTPError) and isinstance(e, ConnectionError)
    assert not isinstance(e, PermissionError)
    assert e.errno in (socket.EAI_NONAME, socket.EAI_AGAIN, socket.EAI_FAIL)
    assert NO_SUCH_HOST in str(e) and "resolve" in str(e)
    assert (e.host, e.port) == (NO_SUCH_HOST, 25)
    with pytest.raises(SMTPHostNotFoundError):
        mailroom.send(message(), NO_SUCH_HOST, 25)
    with pytest.raises(POP3HostNotFoundError) as pinfo:
        POP3Client(NO_SUCH_HOST, 110)
    assert isinstance(pinfo.value, socket.gaierror) and isinstance(pinfo.value, POP3Error)
    assert NO_SUCH_HOST in str(pinfo.value)


def test_connection_refused_is_a_connect_error_naming_host_and_port() -> None:
    port = free_port()
    with pytest.raises(SMTPError) as info:  # the README's base class catches it
        SMTPClient("127.0.0.1", port)
    e = info.value
    assert type(e) is SMTPConnectError
    assert isinstance(e, ConnectionError)
    assert e.errno == errno.ECONNREFUSED
    assert f"127.0.0.1:{port}" in str(e) and "refused" in str(e).lower()
    with pytest.raises(POP3ConnectError) as pinfo:
        POP3Client("127.0.0.1", port)
    assert isinstance(pinfo.value, ConnectionError) and isinstance(pinfo.value, POP3Error)
    assert pinfo.value.errno == errno.ECONNREFUSED
    assert f"127.0.0.1:{port}" in str(pinfo.value)


def test_connect_timeout_names_the_stage_and_seconds() -> None:
    # A listener that never accepts, with its backlog full: further SYNs are
    # dropped, so connect() waits for its timeout (all on loopback).
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    try:
        for _ in range(8):
            s = socket.socket()
            s.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                s.connect(("127.0.0.1", port))
            fillers.append(s)
        with pytest.raises(SMTPConnectError) as info:
            SMTPClient("127.0.0.1", port, connect_timeout=0.3)
        if not isinstance(info.value, SMTPConnectTimeoutError):
            pytest.skip(f"this kernel did not hold back the SYN: {info.value}")
        assert isinstance(info.value, TimeoutError)
        assert "timed out after 0.3 s connecting to" in str(info.value)
        assert f"127.0.0.1:{port}" in str(info.value)
    finally:
        for s in fillers:
            s.close()
        listener.close()


def test_greeting_timeout_names_the_greeting() -> None:
    with silent_server() as port:
        with pytest.raises(
            SMTPTimeoutError, match=r"timed out after 0\.3 s waiting for the greeting"
        ):
            SMTPClient("127.0.0.1", port, timeout=0.3)
        with pytest.raises(POP3TimeoutError, match=r"0\.3 s waiting for the greeting"):
            POP3Client("127.0.0.1", port, timeout=0.3)


def test_command_timeout_names_the_command() -> None:
    with silent_server(b"+OK hello\r\n") as port:
        with pytest.raises(
            POP3TimeoutError, match=r"0\.3 s waiting for the response to (CAPA|USER)"
        ):
            POP3Client("127.0.0.1", port, "bob@example.org", "pw", timeout=0.3)
    with Server() as server:
        server.reply(delay=2.0, recipient="slow@example.org")
        with SMTPClient(server.host, server.smtp_port, timeout=0.3) as smtp:
            with pytest.raises(SMTPTimeoutError, match=r"0\.3 s waiting for the reply to RCPT TO"):
                smtp.send(message(), recipients=["slow@example.org"])


@pytest.mark.parametrize(("transfer", "stage"), [("data", "the end of the data"), ("bdat", "BDAT")])
def test_data_timeout_names_data(transfer: str, stage: str) -> None:
    with Server() as server:
        server.reply(delay=2.0, stage="data")
        with SMTPClient(server.host, server.smtp_port, timeout=0.3) as smtp:
            with pytest.raises(SMTPTimeoutError) as info:
                smtp.send(message(), transfer=transfer)  # type: ignore[arg-type]
        assert "timed out after 0.3 s" in str(info.value)
        assert stage in str(info.value)


def test_cli_says_the_name_does_not_resolve() -> None:
    send = [sys.executable, "-m", "mailroom", "send", "--server", f"{NO_SUCH_HOST}:25"]
    send += ["--from", "a@example.org", "--to", "b@example.org", "--text", "x"]
    fetch = [sys.executable, "-m", "mailroom", "fetch", "--server", f"{NO_SUCH_HOST}:110"]
    fetch += ["--user", "bob@example.org", "--password", "pw"]
    for cmd in (send, fetch):
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        assert done.returncode != 0
        assert "resolve" in done.stderr and NO_SUCH_HOST in done.stderr
        assert "Operation not permitted" not in done.stderr
        assert "Traceback" not in done.stderr


def test_the_old_client_module_re_exports_the_same_names() -> None:
    """mailroom.client (before mailroom.smtp, .pop3 and .errors) keeps working."""
    import mailroom
    import mailroom.client

    assert mailroom.client.__all__
    for name in mailroom.client.__all__:
        assert getattr(mailroom.client, name) is getattr(mailroom, name), name


@contextlib.contextmanager
def scripted_pop3_server(answers: dict[str, bytes]) -> Iterator[int]:
    """A POP3 server that greets and answers each command line from `answers`
    (-ERR for the others), for one connection."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def run() -> None:
        conn, _ = listener.accept()
        with conn, conn.makefile("rb") as lines:
            conn.sendall(b"+OK scripted\r\n")
            for line in lines:
                command = line.rstrip(b"\r\n").decode()
                conn.sendall(answers.get(command, b"-ERR unknown\r\n"))
                if command == "QUIT":
                    return

    t = threading.Thread(target=run, daemon=True)
    t.start()
    try:
        yield port
    finally:
        t.join(timeout=5)
        listener.close()


def test_malformed_pop3_listings_are_pop3_errors_naming_the_response() -> None:
    """S: +OK lots (STAT without counts), S: 1 120 / bogus (LIST), S: +OK 1 (UIDL 1):
    the native parser refuses them and the client says which response it was."""
    answers = {
        "STAT": b"+OK lots of mail\r\n",
        "LIST": b"+OK 2 messages\r\n1 120\r\nbogus\r\n.\r\n",
        "UIDL": b"+OK\r\n1 abc\r\n\r\n2 def\r\n.\r\n",  # an empty line is skipped
        "UIDL 1": b"+OK 1\r\n",
        "QUIT": b"+OK bye\r\n",
    }
    with scripted_pop3_server(answers) as port:
        with POP3Client("127.0.0.1", port) as pop:
            with pytest.raises(POP3Error, match=r"malformed STAT response: \+OK lots of mail"):
                pop.stat()
            with pytest.raises(POP3Error, match=r"malformed LIST response: \+OK 2 messages"):
                pop.list()
            assert pop.uidl() == {1: "abc", 2: "def"}
            with pytest.raises(POP3Error, match=r"malformed UIDL response: \+OK 1"):
                pop.uidl(1)


@pytest.mark.parametrize(
    ("options", "rule"),
    [
        ({"user": "bob"}, "give both user and password, or neither"),
        ({"auth": "PLAIN"}, "auth names a mechanism: give user and password too"),
        ({"user": "bob", "password": "pw", "auth": "xoauth"}, "auth must be 'PLAIN'"),
        ({"user": "bob\r\nRSET", "password": "pw"}, "CR, LF or NUL in the user name"),
        ({"helo": "bad name"}, "bad EHLO name: 'bad name'"),
        ({"timeout": 0}, "timeout must be positive"),
        ({"tls": "sometimes"}, "tls must be None, 'starttls' or 'implicit'"),
        ({"verify": False}, "cafile, verify and server_hostname apply only with tls="),
        ({"tls": "implicit", "server_hostname": "a b"}, "bad server_hostname: 'a b'"),
    ],
)
def test_bad_smtp_client_options_say_the_rule_before_connecting(
    options: dict[str, object], rule: str
) -> None:
    port = free_port()  # nothing listens: the options are refused first
    with pytest.raises(ValueError, match=re.escape(rule)):
        SMTPClient("127.0.0.1", port, **options)  # type: ignore[arg-type]


def test_bad_pop3_client_tls_options_say_the_rule_before_connecting() -> None:
    with pytest.raises(ValueError, match="apply only with tls="):
        POP3Client("127.0.0.1", free_port(), server_hostname="mail.example.org")
