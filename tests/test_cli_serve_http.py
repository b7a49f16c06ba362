"""`mailroom serve` and HTTP: Mailpit's port 8025 by default, HTTP off with a
note when another program holds it, --https-port with --tls, and on a
wildcard address the URLs a browser opens, here and from other machines."""

from __future__ import annotations

import re
import socket
import ssl
import urllib.request

import pytest

from mailroom.cli import build_parser
from mailroom.cli_arguments import UsageError
from mailroom.cli_serve import DEFAULT_HTTP_PORT, http_port_choice

from .test_cli import start_serve, stop_serve


def choice(*argv: str, open_http: bool = False, free: bool = True) -> tuple[int | None, str | None]:
    args = build_parser().parse_args(["serve", *argv])
    return http_port_choice(args, open_http, lambda host, port: free)


def test_the_http_port_serve_asks_for() -> None:
    assert choice() == (DEFAULT_HTTP_PORT, None)
    port, note = choice(free=False)
    assert port is None and note is not None and f"port {DEFAULT_HTTP_PORT} is taken" in note
    assert choice("--http-port", "0", free=False) == (0, None)
    assert choice("--no-http") == (None, None)
    port, note = choice("--host", "0.0.0.0", open_http=True)
    assert port is None and note is not None and "--public-http" in note
    assert choice("--host", "0.0.0.0", "--public-http", open_http=True) == (8025, None)
    with pytest.raises(UsageError, match="--no-http and --http-port"):
        choice("--no-http", "--http-port", "1")
    for option in ("--http-port", "--https-port"):
        with pytest.raises(UsageError, match=f"{option} on 0.0.0.0 without --user"):
            choice("--host", "0.0.0.0", option, "0", open_http=True)


def holding(port: int) -> socket.socket | None:
    """A listener on 127.0.0.1:port, or None when another program has it."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # past a TIME_WAIT of a test before
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        s.close()
        return None
    s.listen()
    return s


def test_serve_takes_8025_by_default_and_goes_without_http_when_it_is_taken() -> None:
    held = holding(DEFAULT_HTTP_PORT)
    if held is None:
        pytest.skip(f"port {DEFAULT_HTTP_PORT} is held by another program")
    try:
        # Taken: HTTP off, said so.
        proc, lines = start_serve()
        stop_serve(proc)
        text = "".join(lines)
        assert f"HTTP is off: port {DEFAULT_HTTP_PORT} is taken" in text, text
        assert "HTTP on" not in text
    finally:
        held.close()
    proc, lines = start_serve()
    try:
        text = "".join(lines)
        if "is taken" in text:
            pytest.skip(f"another program took port {DEFAULT_HTTP_PORT} meanwhile")
        assert f"HTTP on http://127.0.0.1:{DEFAULT_HTTP_PORT}," in text, text
        url = f"http://127.0.0.1:{DEFAULT_HTTP_PORT}/livez"
        with urllib.request.urlopen(url, timeout=10) as r:
            assert r.read() == b"ok"
    finally:
        stop_serve(proc)


def test_serve_https_port_with_tls() -> None:
    proc, lines = start_serve("--tls", "auto", "--https-port", "0", "--no-http")
    try:
        text = "".join(lines)
        url = re.search(r"HTTPS on (https://127\.0\.0\.1:\d+)", text)
        ca = re.search(r"throwaway CA in (\S+)", text)
        assert url and ca, text
        assert "HTTP on" not in text
        context = ssl.create_default_context(cafile=ca[1])
        context.check_hostname = False  # the throwaway certificate names the host name
        with urllib.request.urlopen(url[1] + "/livez", timeout=10, context=context) as r:
            assert r.read() == b"ok"
    finally:
        stop_serve(proc)


def test_serve_https_port_needs_tls() -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "mailroom", "serve", "--https-port", "0"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert done.returncode == 2 and "--https-port needs --tls" in done.stderr


def test_serve_on_a_wildcard_address_says_where_a_browser_opens_it() -> None:
    proc, lines = start_serve(
        "--host", "0.0.0.0", "--user", "bob@example.org:pw", "--http-port", "0"
    )
    try:
        text = "".join(lines)
        found = re.search(
            r"open http://127\.0\.0\.1:(\d+)/ \(from other machines: http://(\S+):(\d+)/\)", text
        )
        assert found, text
        assert found[2] == socket.gethostname() and found[1] == found[3]
        with urllib.request.urlopen(f"http://127.0.0.1:{found[1]}/livez", timeout=10) as r:
            assert r.read() == b"ok"
    finally:
        stop_serve(proc)


def test_server_https_url() -> None:
    import mailroom

    with mailroom.Server(http_port=0) as plain:
        with pytest.raises(RuntimeError, match="HTTPS is off"):
            plain.https_url  # noqa: B018
    with mailroom.Server(http_port=0, https_port=0, tls="auto") as s:
        assert s.https_port and s.https_url == f"https://127.0.0.1:{s.https_port}"
        assert s.http_url == f"http://127.0.0.1:{s.http_port}"
        context = ssl.create_default_context(cafile=s.tls_ca_file)
        context.check_hostname = False
        with urllib.request.urlopen(s.https_url + "/livez", timeout=10, context=context) as r:
            assert r.read() == b"ok"
