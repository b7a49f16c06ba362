"""What the clients raise when the server cannot be reached or does not answer:
errors that say what happened (the name does not resolve, the connection was
refused, which wait timed out after how long), in the classes the README
lists, so ``except SMTPError`` and ``except ConnectionError`` both work."""

from __future__ import annotations

import contextlib
import errno
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
