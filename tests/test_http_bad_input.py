"""Bad input to the HTTP server, end to end: malformed and oversized
requests over raw sockets, ordinary ones with curl and urllib, WebSocket
frames with websocket-client, each against a running server. Every one is
answered clearly (the right status, a JSON error naming what is wrong),
stays bounded, and a well-behaved client is served meanwhile."""

from __future__ import annotations

import base64
import json
import resource
import select
import smtplib
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import mailroom

from .conftest import require_module, require_program
from .test_http_api import call


@pytest.fixture
def server() -> Iterator[mailroom.Server]:
    with mailroom.Server(http_port=0) as s:
        yield s


def served(s: mailroom.Server) -> int:
    """The well-behaved client: the message count over a fresh connection."""
    status, body, _ = call(s, "GET", "/api/v1/messages")
    assert status == 200
    return int(json.loads(body)["total"])


def exchange(s: mailroom.Server, data: bytes) -> bytes:
    """Sends `data` on a new connection and reads until the server closes."""
    with socket.create_connection((s.host, s.http_port), timeout=10) as c:
        c.sendall(data)
        out = b""
        while chunk := c.recv(65536):
            out += chunk
        return out


def status_and_error(answer: bytes) -> tuple[int, str]:
    """The status of one closing answer and the Error of its JSON body."""
    head, _, body = answer.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    assert b"Content-Type: application/json" in head, answer[:300]
    assert b"Connection: close" in head, answer[:300]
    return status, str(json.loads(body)["Error"])


def deliver(s: mailroom.Server, raw: bytes, to: str = "bob@example.test") -> None:
    with smtplib.SMTP(*s.smtp_address) as c:
        c.sendmail("alice@example.test", [to], raw)


# --- Oversized requests ------------------------------------------------------


def test_oversized_request_line_headers_and_bodies_are_refused(server: mailroom.Server) -> None:
    cases = [
        (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, "request line"),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 70000 + b"\r\n\r\n", 431, "header"),
        (
            b"GET / HTTP/1.1\r\nHost: x\r\n"
            + b"".join(b"X-%d: y\r\n" % i for i in range(500))
            + b"\r\n",
            431,
            "header fields",
        ),
        (
            b"POST /api/v1/send HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n",
            413,
            "body",
        ),
        (  # chunked: refused at the chunk that goes past the bound
            b"POST /api/v1/send HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"7fffffff\r\n",
            413,
            "body",
        ),
    ]
    for request, status, named in cases:
        got, error = status_and_error(exchange(server, request))
        assert (got, named in error) == (status, True), (request[:60], error)
        assert served(server) == 0


def compose_body(size: int) -> dict[str, Any]:
    return {
        "From": "alice@example.test",
        "To": ["bob@example.test", "carol@elsewhere.example"],
        "Subject": "big",
        "Text": "see attached",
        "Attachments": [
            {
                "FileName": "big.bin",
                "ContentType": "application/octet-stream",
                "Content": base64.b64encode(b"\x07" * size).decode(),
            }
        ],
    }


def send_body(size: int) -> dict[str, Any]:
    return {
        "From": {"Email": "alice@example.test"},
        "To": [{"Email": "bob@example.test"}],
        "Subject": "big",
        "Text": "see attached",
        "Attachments": [
            {"Filename": "big.bin", "Content": base64.b64encode(b"\x07" * size).decode()}
        ],
    }


def test_uploads_over_max_message_size_are_refused_and_nothing_is_stored() -> None:
    limit = 256 * 1024
    with mailroom.Server(http_port=0, max_message_size=limit, relay=True) as s:
        s.account("alice@example.test")
        s.account("bob@example.test")
        # The body fits the request bound, the message it makes does not: 413
        # from the route, after building, before any of it is delivered.
        for path, body in [
            ("/api/v1/send", send_body(limit)),
            ("/api/mailroom/compose", compose_body(limit)),
            ("/api/mailroom/compose", {**compose_body(limit), "Draft": True}),
        ]:
            status, answer, _ = call(s, "POST", path, body)
            assert status == 413, (path, answer)
            assert str(limit) in json.loads(answer)["Error"]
        # A body past the request bound (what max_message_size allows in
        # base64, and a margin) is refused before it is read, over curl.
        curl = require_program("curl")
        huge = json.dumps(compose_body(2 * 1024 * 1024)).encode()
        done = subprocess.run(
            [
                curl,
                "-s",
                "-H",
                "Content-Type: application/json",
                "--data-binary",
                "@-",
                "-w",
                "\n%{http_code}",
                s.http_url + "/api/mailroom/compose",
            ],
            input=huge,
            capture_output=True,
            timeout=30,
        )
        answer, _, code = done.stdout.rpartition(b"\n")
        assert code == b"413" and b"larger than" in answer, done.stdout[-300:]
        # Nothing stored, nothing half-sent.
        assert s.messages == []
        accounts = json.loads(call(s, "GET", "/api/mailroom/accounts")[1])["Accounts"]
        assert {a["Address"]: a["Messages"] for a in accounts} == {
            "alice@example.test": 0,  # no copy in Sent, no draft
            "bob@example.test": 0,
        }
        assert json.loads(call(s, "GET", "/api/mailroom/queue")[1])["Entries"] == []
        # Under the limit the same routes work.
        status, answer, _ = call(s, "POST", "/api/mailroom/compose", compose_body(1000))
        assert status == 200, answer
        assert len(s.messages) == 1


# --- Slow clients --------------------------------------------------------------


def test_a_slowloris_client_gets_408_while_others_are_served() -> None:
    with mailroom.Server(http_port=0, idle_timeout=1.0) as s:
        request = b"GET /livez HTTP/1.1\r\nHost: x\r\nX-Padding: " + b"p" * 200 + b"\r\n\r\n"
        with socket.create_connection((s.host, s.http_port), timeout=10) as slow:
            started = time.monotonic()
            answer = b""
            for i in range(len(request)):  # a byte every 50 ms: never the whole head
                try:
                    slow.sendall(request[i : i + 1])
                except OSError:
                    break
                slow.settimeout(0.05)
                try:
                    answer = slow.recv(4096)
                except TimeoutError:
                    continue
                finally:
                    slow.settimeout(10)
                break
            if not answer:
                answer = slow.recv(4096)
            elapsed = time.monotonic() - started
            assert answer.startswith(b"HTTP/1.1 408 "), answer
            assert b"Connection: close" in answer
            assert slow.recv(4096) == b""
            # Cut at the idle timeout of its first byte, however it trickles.
            assert elapsed < len(request) * 0.05
            assert served(s) == 0


def upload(s: mailroom.Server, body: bytes, piece: int, pause: float) -> bytes:
    """POSTs `body` to /api/v1/send `piece` octets at a time, `pause` apart;
    the answer (or what came before the server closed)."""
    with socket.create_connection((s.host, s.http_port), timeout=10) as c:
        c.sendall(
            b"POST /api/v1/send HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body)
        )
        for i in range(0, len(body), piece):
            if select.select([c], [], [], pause)[0]:
                break  # answered early: read it before sending more
            c.sendall(body[i : i + piece])
        out = b""
        try:
            while chunk := c.recv(65536):
                out += chunk
        except ConnectionResetError:
            pass
        return out


def test_a_steady_upload_may_outlast_the_idle_timeout_a_trickled_one_may_not() -> None:
    with mailroom.Server(http_port=0, idle_timeout=1.0) as s:
        message = {
            "From": {"Email": "alice@example.test"},
            "To": [{"Email": "bob@example.test"}],
            "Subject": "steady",
            "Text": "x" * 12000,
        }
        body = json.dumps(message).encode()
        # About 6 KB/s for two seconds: twice the idle timeout, above the
        # minimum data rate, so the body buys its time.
        answer = upload(s, body, 600, 0.1)
        assert answer.startswith(b"HTTP/1.1 200 "), answer[:200]
        assert [m.subject for m in s.messages] == ["steady"]
        # 20 octets a second: cut at about the idle timeout, nothing stored.
        started = time.monotonic()
        answer = upload(s, body, 2, 0.1)
        assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
        assert time.monotonic() - started < 10
        assert len(s.messages) == 1


def big_message(size: int) -> bytes:
    line = b"0123456789" * 7 + b"\r\n"
    return b"From: alice@example.test\r\nTo: bob@example.test\r\nSubject: big\r\n\r\n" + line * (
        size // len(line)
    )


def rss_kib() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def test_slow_readers_of_a_large_message_neither_block_others_nor_grow_memory() -> None:
    size = 20 * 1024 * 1024
    with mailroom.Server(http_port=0) as s:
        deliver(s, big_message(size))
        [summary] = json.loads(call(s, "GET", "/api/v1/messages")[1])["messages"]
        raw_path = f"/api/v1/message/{summary['ID']}/raw"
        request = f"GET {raw_path} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
        before = rss_kib()
        readers = []
        for _ in range(8):  # each pipelines 20 requests for the raw source, reads nothing
            c = socket.socket()
            c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            c.connect((s.host, s.http_port))
            c.sendall(request * 20)
            readers.append(c)
        try:
            time.sleep(0.5)
            for _ in range(5):
                assert served(s) == 1
            # 8 x 20 answers of 20 MiB would be 3 GiB; they share the stored copy.
            assert rss_kib() - before < 4 * size // 1024
            # A reader that reads gets the whole message, byte for byte.
            first = readers[0]
            first.settimeout(10)
            got = b""
            while b"\r\n\r\n" not in got:
                got += first.recv(65536)
            head, _, got = got.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 200 ")
            length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
            while len(got) < length:
                got += first.recv(1 << 20)
            assert got[:length] == s.messages[0].raw
        finally:
            for c in readers:
                c.close()
        assert served(s) == 1


# --- Too many connections ------------------------------------------------------


def test_past_the_connection_cap_503_and_the_others_are_served() -> None:
    with mailroom.Server(http_port=0, max_connections=8, max_connections_per_ip=8) as s:
        held: list[socket.socket] = []
        try:
            refused = b""
            for _ in range(12):
                c = socket.create_connection((s.host, s.http_port), timeout=10)
                held.append(c)
                c.settimeout(0.3)
                try:
                    refused = c.recv(4096)
                except TimeoutError:
                    continue
                break
            assert refused.startswith(b"HTTP/1.1 503 "), refused
            assert b"Retry-After: " in refused
            assert "too many connections" in json.loads(refused.partition(b"\r\n\r\n")[2])["Error"]
            # The connections already open are served as before.
            for c in held[:-1]:
                c.settimeout(10)
                c.sendall(b"GET /livez HTTP/1.1\r\nHost: x\r\n\r\n")
                assert c.recv(4096).startswith(b"HTTP/1.1 200 ")
            held.pop().close()
            held.pop().close()
            time.sleep(0.2)
            assert served(s) == 0  # a slot freed, a new client is served
        finally:
            for c in held:
                c.close()


# --- Malformed HTTP --------------------------------------------------------------


MALFORMED = [
    (b"GARBAGE\r\n\r\n", 400, "request line"),
    (b"GET /livez\r\nHost: x\r\n\r\n", 400, "request line"),
    (b"GET  /livez HTTP/1.1\r\nHost: x\r\n\r\n", 400, "request line"),
    (b"G(T /livez HTTP/1.1\r\nHost: x\r\n\r\n", 400, "method"),
    (b"GET /livez HTTP/1.x\r\nHost: x\r\n\r\n", 400, "HTTP version"),
    (b"GET /livez HTTP/11\r\nHost: x\r\n\r\n", 400, "HTTP version"),
    (b"GET /livez http/1.1\r\nHost: x\r\n\r\n", 400, "HTTP version"),
    (b"GET /livez HTTP/2.0\r\nHost: x\r\n\r\n", 505, "HTTP/1.1"),
    (b"GET /li\x00vez HTTP/1.1\r\nHost: x\r\n\r\n", 400, "control character"),
    (b"GET /livez HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n", 400, "NUL"),
    (b"GET /livez HTTP/1.1\r\nHost: x\r\nX-\x00: a\r\n\r\n", 400, "field name"),
    (b"GET /livez HTTP/1.1\r\nHost: x\r\nX-A : a\r\n\r\n", 400, "field name"),
    (b"GET /livez HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n", 400, "colon"),
    (b"GET /livez HTTP/1.1\r\nHost: x\r\nX-A: a\r\n  folded\r\n\r\n", 400, "folding"),
    (b"GET /livez HTTP/1.1\r\n\r\n", 400, "Host"),
    (b"GET /livez HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", 400, "Host"),
    (
        b"POST /api/v1/send HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        400,
        "Transfer-Encoding and Content-Length",
    ),
    (
        b"POST /api/v1/send HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 6\r\n\r\n",
        400,
        "Content-Length",
    ),
    (b"POST /api/v1/send HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400, "Content-Length"),
    (
        b"POST /api/v1/send HTTP/1.1\r\nHost: x\r\nContent-Length: 0x10\r\n\r\n",
        400,
        "Content-Length",
    ),
    (
        b"POST /api/v1/send HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
        501,
        "chunked",
    ),
    (
        b"POST /api/v1/send HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        400,
        "chunk size",
    ),
    (
        b"POST /api/v1/send HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n",
        400,
        "chunk size",
    ),
    (
        b"POST /api/v1/send HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"10000000000000000\r\n",
        400,
        "chunk size",
    ),
    (
        b"POST /api/v1/send HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"2\r\nabcdef\r\n0\r\n\r\n",
        400,
        "chunk data longer",
    ),
    (
        b"POST /api/v1/send HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"2;" + b"e" * 5000 + b"\r\n",
        400,
        "chunk-size line",
    ),
    (b"GET /livez HTTP/1.1\r\nHost: x\r\nExpect: magic\r\n\r\n", 417, "100-continue"),
    (b"GET http://x/livez#top HTTP/1.1\r\nHost: x\r\n\r\n", 400, "fragment"),
    (b"GET livez HTTP/1.1\r\nHost: x\r\n\r\n", 400, "beginning with /"),
]


@pytest.mark.parametrize(
    ("request_bytes", "status", "named"), MALFORMED, ids=[f"{s}-{n}" for _, s, n in MALFORMED]
)
def test_malformed_http_is_answered_with_its_error_and_closed(
    server: mailroom.Server, request_bytes: bytes, status: int, named: str
) -> None:
    got, error = status_and_error(exchange(server, request_bytes))
    assert got == status and named in error, (got, error)
    assert served(server) == 0


def test_malformed_request_after_a_good_one_on_one_connection(server: mailroom.Server) -> None:
    """A bad request after pipelined good ones: the good ones are answered,
    then the error, then the close."""
    out = exchange(
        server,
        b"GET /livez HTTP/1.1\r\nHost: x\r\n\r\n"
        b"GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n"
        b"GET /livez HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n"
        b"GET /livez HTTP/1.1\r\nHost: x\r\n\r\n",
    )
    assert out.count(b"HTTP/1.1 200 OK\r\n") == 2
    assert out.count(b"HTTP/1.1 400 ") == 1 and out.rindex(b"HTTP/1.1 400 ") > out.rindex(b"200 OK")


# --- Unknown paths, wrong methods, HEAD, OPTIONS -------------------------------------


def curl_head(s: mailroom.Server, *args: str) -> tuple[int, dict[str, str], bytes]:
    curl = require_program("curl")
    done = subprocess.run(
        [curl, "-s", "-i", "--path-as-is", *args],
        capture_output=True,
        timeout=20,
    )
    head, _, body = done.stdout.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(lines[0].split(" ")[1]), headers, body


def test_unknown_paths_wrong_methods_head_and_options(server: mailroom.Server) -> None:
    status, headers, body = curl_head(server, server.http_url + "/api/v1/nothing-here")
    assert status == 404 and headers["content-type"] == "application/json"
    assert "/api/v1/nothing-here" in json.loads(body)["Error"]
    status, headers, body = curl_head(server, "-X", "PATCH", server.http_url + "/api/v1/messages")
    assert status == 405 and headers["content-type"] == "application/json"
    assert set(headers["allow"].split(", ")) == {"GET", "HEAD", "PUT", "DELETE", "OPTIONS"}
    assert "PATCH" in json.loads(body)["Error"]
    status, headers, body = curl_head(server, "-X", "POST", server.http_url + "/livez")
    assert status == 405 and set(headers["allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    # HEAD: GET's status and headers, no body.
    _, got, got_body = curl_head(server, server.http_url + "/api/v1/messages")
    status, headers, body = curl_head(server, "-I", server.http_url + "/api/v1/messages")
    assert status == 200 and body == b""
    assert headers["content-length"] == got["content-length"] == str(len(got_body))
    status, headers, body = curl_head(server, "-I", server.http_url + "/api/v1/message/nope")
    assert status == 404 and body == b"" and int(headers["content-length"]) > 0
    # OPTIONS: what the path allows (RFC 9110 §9.3.7), and for * the server's methods.
    status, headers, body = curl_head(server, "-X", "OPTIONS", server.http_url + "/api/v1/messages")
    assert status == 204 and body == b""
    assert set(headers["allow"].split(", ")) == {"GET", "HEAD", "PUT", "DELETE", "OPTIONS"}
    status, headers, _ = curl_head(
        server, "-X", "OPTIONS", "--request-target", "*", server.http_url + "/"
    )
    assert status == 204 and {"GET", "POST", "OPTIONS"} <= set(headers["allow"].split(", "))
    status, headers, body = curl_head(server, "-X", "OPTIONS", server.http_url + "/nowhere")
    assert status == 404 and "/nowhere" in json.loads(body)["Error"]


# --- Bad JSON or fields ----------------------------------------------------------------

A = "alice@example.test"
NOT_JSON = [b"{nope", b"[1, 2]", b'"a string"', b"\xff\xfe{}", b'{"IDs": [' * 100 + b"]" * 100]

# (method, path, body, the field the error must name)
BAD_FIELDS: list[tuple[str, str, Any, str]] = [
    ("POST", "/api/v1/send", {"To": [{"Email": "b@example.test"}]}, "From"),
    ("POST", "/api/v1/send", {"From": "alice"}, "From"),
    ("POST", "/api/v1/send", {"From": {"Email": A}, "To": "b@example.test"}, "To"),
    ("POST", "/api/v1/send", {"From": {"Email": A}, "To": [{"Email": 5}]}, "Email"),
    ("POST", "/api/v1/send", {"From": {"Email": A}, "To": [{"Email": A}], "Subject": 5}, "Subject"),
    ("POST", "/api/v1/send", {"From": {"Email": A}, "To": [{"Email": A}], "Tags": "x"}, "Tags"),
    (
        "POST",
        "/api/v1/send",
        {"From": {"Email": A}, "To": [{"Email": A}], "Headers": []},
        "Headers",
    ),
    (
        "POST",
        "/api/v1/send",
        {"From": {"Email": A}, "To": [{"Email": A}], "Attachments": [{"Filename": "a"}]},
        "Content",
    ),
    (
        "POST",
        "/api/v1/send",
        {
            "From": {"Email": A},
            "To": [{"Email": A}],
            "Attachments": [{"Filename": "a", "Content": "!"}],
        },
        "Attachments[0].Content",
    ),
    ("PUT", "/api/v1/messages", {"Read": "yes"}, "Read"),
    ("PUT", "/api/v1/messages", {"IDs": "x", "Read": True}, "IDs"),
    ("PUT", "/api/v1/messages", {"IDs": [1], "Read": True}, "IDs"),
    ("DELETE", "/api/v1/messages", {"IDs": "x"}, "IDs"),
    ("DELETE", "/api/v1/messages", {"IDs": ["no-such-id"]}, "IDs"),
    ("PUT", "/api/v1/tags", {"Tags": ["a"]}, "IDs"),
    ("PUT", "/api/v1/tags", {"IDs": ["x"]}, "Tags"),
    ("PUT", "/api/v1/tags", {"IDs": ["x"], "Tags": "a"}, "Tags"),
    ("PUT", "/api/v1/tags/old", {"Name": 5}, "Name"),
    ("PUT", "/api/v1/chaos", {"Sender": 5}, "Sender"),
    ("PUT", "/api/v1/chaos", {"Sender": {"ErrorCode": "x", "Probability": 5}}, "ErrorCode"),
    ("PUT", "/api/v1/chaos", {"Recipient": {"ErrorCode": 999, "Probability": 5}}, "ErrorCode"),
    (
        "PUT",
        "/api/v1/chaos",
        {"Authentication": {"ErrorCode": 451, "Probability": 101}},
        "Probability",
    ),
    ("POST", "/api/v1/message/latest/release", {"To": "x"}, "To"),
    ("POST", "/api/v1/message/latest/release", {}, "To"),
    ("PUT", "/api/mailroom/messages", {"Add": ["\\Seen"]}, "IDs"),
    ("PUT", "/api/mailroom/messages", {"IDs": "x"}, "IDs"),
    ("PUT", "/api/mailroom/messages", {"IDs": ["x"], "Add": "\\Seen"}, "Add"),
    ("PUT", "/api/mailroom/messages", {"IDs": ["x"], "Remove": [5]}, "Remove"),
    ("DELETE", "/api/mailroom/messages", {}, "IDs"),
    ("DELETE", "/api/mailroom/messages", {"IDs": [None, 5]}, "IDs"),
    ("POST", "/api/mailroom/move", {"To": "Archive"}, "IDs"),
    ("POST", "/api/mailroom/move", {"IDs": ["x"]}, "To"),
    ("POST", "/api/mailroom/move", {"IDs": ["x"], "To": 5}, "To"),
    ("POST", "/api/mailroom/compose", {"To": [A]}, "From"),
    ("POST", "/api/mailroom/compose", {"From": 5, "To": [A]}, "From"),
    ("POST", "/api/mailroom/compose", {"From": A, "To": A}, "To"),
    ("POST", "/api/mailroom/compose", {"From": A, "To": [A], "Cc": [5]}, "Cc"),
    ("POST", "/api/mailroom/compose", {"From": A, "To": [A], "Mode": "sideways"}, "Mode"),
    ("POST", "/api/mailroom/compose", {"From": A, "To": [A], "Draft": "yes"}, "Draft"),
    ("POST", "/api/mailroom/compose", {"From": A, "To": [A], "Text": ["x"]}, "Text"),
    (
        "POST",
        "/api/mailroom/compose",
        {"From": A, "To": [A], "Attachments": [{"FileName": "a"}]},
        "Content",
    ),
    (
        "POST",
        "/api/mailroom/compose",
        {"From": A, "To": [A], "Attachments": "a"},
        "Attachments",
    ),
    ("POST", "/api/mailroom/rules", {}, "Protocol"),
    ("POST", "/api/mailroom/rules", {"Protocol": "gopher"}, "Protocol"),
    ("POST", "/api/mailroom/rules", {"Protocol": "smtp", "Stage": "nowhere", "Code": 550}, "Stage"),
    ("POST", "/api/mailroom/rules", {"Protocol": "smtp", "Code": "x"}, "Code"),
    ("POST", "/api/mailroom/rules", {"Protocol": "smtp", "Code": 550, "Delay": "x"}, "Delay"),
    ("POST", "/api/mailroom/rules", {"Protocol": "imap", "Status": "MAYBE"}, "Status"),
    ("DELETE", "/api/mailroom/rules", {"Protocol": "gopher"}, "Protocol"),
    ("DELETE", "/api/mailroom/rules", {"Protocol": "smtp", "ID": "x"}, "ID"),
]

BODY_ROUTES = sorted({(m, p) for m, p, _, _ in BAD_FIELDS})


@pytest.mark.parametrize(("method", "path"), BODY_ROUTES)
def test_a_body_that_is_not_a_json_object_is_400(
    server: mailroom.Server, method: str, path: str
) -> None:
    deliver(server, b"Subject: one\r\n\r\nbody\r\n")
    for body in NOT_JSON:
        status, answer, headers = call(server, method, path, body)
        assert status == 400, (method, path, body[:20], answer)
        assert headers["Content-Type"] == "application/json"
        error = json.loads(answer)["Error"]
        assert "JSON" in error, (method, path, error)
    assert len(server.messages) == 1


@pytest.mark.parametrize(("method", "path", "body", "field"), BAD_FIELDS)
def test_a_bad_field_is_400_naming_it(
    server: mailroom.Server, method: str, path: str, body: Any, field: str
) -> None:
    deliver(server, b"Subject: one\r\n\r\nbody\r\n")
    status, answer, headers = call(server, method, path, body)
    assert status == 400, (method, path, body, answer)
    assert headers["Content-Type"] == "application/json"
    error = json.loads(answer)["Error"]
    assert field in error, (method, path, body, error)
    # Nothing changed: the one message is there, unread, untagged.
    [only] = json.loads(call(server, "GET", "/api/v1/messages")[1])["messages"]
    assert only["Read"] is False and only["Tags"] == []


# --- Traversal --------------------------------------------------------------------------


TRAVERSALS = [
    "/web/../../../../etc/passwd",
    "/web/..%2f..%2f..%2fetc%2fpasswd",
    "/web/%2e%2e/%2e%2e/__init__.py",
    "/web/%2E%2E%2F__init__.py",
    "/web/..%5c__init__.py",
    "/web/%252e%252e%252f__init__.py",
    "/web/%c0%ae%c0%ae%c0%af__init__.py",
    "/web/%c0%ae%c0%ae/__init__.py",
    "/web/index.html%00.js",
    "/web/.%2e/__init__.py",
    "/web/./index.html/../../__init__.py",
    "/web/__init__.py",
    "/web/..",
    "/web/%2e%2e",
    "/web/.index.html",
    "/../__init__.py",
    "/%2e%2e/%2e%2e/etc/passwd",
    "/view/..%2f..%2fetc%2fpasswd.html",
    "/api/v1/message/..%2f..%2fetc%2fpasswd/raw",
    "/api/mailroom/message/%2e%2e%5c%2e%2e%5cetc/part/1",
]


def test_traversal_never_reaches_a_file_outside_the_static_folder(
    server: mailroom.Server,
) -> None:
    curl = require_program("curl")
    package = Path(mailroom.__file__).parent
    outside = [
        (package / "__init__.py").read_bytes(),
        Path("/etc/passwd").read_bytes() if Path("/etc/passwd").exists() else b"root:",
    ]
    # A file that is there is served (so the route is the right one).
    with urllib.request.urlopen(server.http_url + "/web/app.js", timeout=10) as r:
        assert r.read() == (package / "web" / "app.js").read_bytes()
    for path in TRAVERSALS:
        done = subprocess.run(
            [curl, "-s", "--path-as-is", "-w", "\n%{http_code}", server.http_url + path],
            capture_output=True,
            timeout=20,
        )
        body, _, code = done.stdout.rpartition(b"\n")
        assert code in (b"400", b"404"), (path, code, body[:200])
        assert json.loads(body)["Error"], path
        for secret in outside:
            assert secret[:40] not in body, path
    assert served(server) == 0


# --- WebSocket ------------------------------------------------------------------------------


def open_events(s: mailroom.Server) -> Any:
    websocket = require_module("websocket")
    return websocket.create_connection(f"ws://{s.host}:{s.http_port}/api/events", timeout=10)


def close_code(ws: Any) -> int:
    """The code of the Close the server sends, past any text before it, read
    off the socket (the server closes its end right after)."""
    sock = ws.sock
    data = b""

    def need(n: int) -> None:
        nonlocal data
        while len(data) < n:
            chunk = sock.recv(65536)
            if not chunk:
                raise AssertionError(f"closed before a Close frame: {data[:100]!r}")
            data += chunk

    while True:
        need(2)
        opcode, length, head = data[0] & 0x0F, data[1] & 0x7F, 2
        assert data[1] & 0x80 == 0, "a server frame is never masked"
        if length == 126:
            need(4)
            length, head = int.from_bytes(data[2:4], "big"), 4
        elif length == 127:
            need(10)
            length, head = int.from_bytes(data[2:10], "big"), 10
        need(head + length)
        payload, data = data[head : head + length], data[head + length :]
        if opcode == 0x8:
            return int.from_bytes(payload[:2], "big")


def masked(opcode_byte: int, payload: bytes, fin: bool = True) -> bytes:
    mask = b"\x01\x02\x03\x04"
    first = opcode_byte | (0x80 if fin else 0)
    n = len(payload)
    length = bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + n.to_bytes(2, "big")
    return bytes([first]) + length + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


WS_ABUSE = [
    (b"\x81\x05hello", 1002),  # an unmasked text frame
    (masked(0x3, b"x"), 1002),  # a reserved data opcode
    (masked(0xB, b"x"), 1002),  # a reserved control opcode
    (masked(0x9, b"ping", fin=False), 1002),  # a fragmented ping
    (masked(0x9, b"p" * 126), 1002),  # a control frame over 125 octets
    (masked(0x0, b"more"), 1002),  # a continuation of nothing
    (masked(0x1, b"a", fin=False) + masked(0x1, b"b"), 1002),  # a new message inside one
    (masked(0x1 | 0x40, b"x"), 1002),  # RSV1 without an extension
    (masked(0x8, b"\x03"), 1002),  # a Close of one octet
    (masked(0x8, (1005).to_bytes(2, "big")), 1002),  # a close code never sent
    (masked(0x8, (999).to_bytes(2, "big")), 1002),
    (masked(0x8, (1000).to_bytes(2, "big") + b"\xff"), 1007),  # a reason not in UTF-8
    (masked(0x1, b"caf\xc3"), 1007),  # a text message not in UTF-8
    (masked(0x1, b"\xc0\xae", fin=False) + masked(0x0, b"x"), 1007),  # overlong, fragmented
    (b"\x81\xff" + (70 * 1024).to_bytes(8, "big") + b"\x01\x02\x03\x04", 1009),
    (  # two fragments that go past the limit together: refused at the second's head
        masked(0x1, b"a" * 40000, fin=False) + b"\x80\xfe" + (40000).to_bytes(2, "big") + b"mask",
        1009,
    ),
]


@pytest.mark.parametrize(("frame", "code"), WS_ABUSE, ids=[str(i) for i in range(len(WS_ABUSE))])
def test_bad_websocket_frames_close_with_their_code(
    server: mailroom.Server, frame: bytes, code: int
) -> None:
    ws = open_events(server)
    other = open_events(server)
    try:
        ws.sock.sendall(frame)
        assert close_code(ws) == code
        # The other socket still gets its events.
        deliver(server, b"Subject: still here\r\n\r\nx\r\n")
        while True:
            event = json.loads(other.recv())
            if event["Type"] == "new":
                assert event["Data"]["Subject"] == "still here"
                break
    finally:
        ws.shutdown()
        other.close()
    assert served(server) == 1


def test_a_websocket_client_that_never_reads_is_bounded(server: mailroom.Server) -> None:
    """Events pile up for a client that reads none; past a bound it is
    closed (1008, told to reconnect) instead of the server holding every
    event for it. Other clients are served meanwhile and after."""
    websocket = require_module("websocket")
    sleeper = websocket.WebSocket()
    sleeper.sock_opt.sockopt = ((socket.SOL_SOCKET, socket.SO_RCVBUF, 4096),)
    sleeper.connect(f"ws://{server.host}:{server.http_port}/api/events", timeout=10)
    inbox = server.account("bob@example.test").folder("INBOX")
    flood = 6000
    for i in range(flood):  # each one a "new" event of over a kilobyte, and more
        inbox.append(b"Subject: %d " % i + b"s" * 1000 + b"\r\n\r\nbody\r\n")
    assert served(server) == flood
    # The sleeper wakes: what it finds was bounded, and then a Close.
    sleeper.settimeout(10)
    events = 0
    while True:
        opcode, data = sleeper.recv_data(control_frame=True)
        if opcode == websocket.ABNF.OPCODE_TEXT:
            events += json.loads(data)["Type"] == "new"
        elif opcode == websocket.ABNF.OPCODE_CLOSE:
            break
    assert int.from_bytes(data[:2], "big") == 1008 and b"reconnect" in data
    assert 0 < events < flood  # what the bound held (and the kernel's buffers)
    sleeper.shutdown()
    # A client that reads gets its events as ever.
    other = open_events(server)
    try:
        inbox.append(b"Subject: after\r\n\r\nx\r\n")
        while (event := json.loads(other.recv()))["Type"] != "new":
            pass
        assert event["Data"]["Subject"] == "after"
    finally:
        other.close()
