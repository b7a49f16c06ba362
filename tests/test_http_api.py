"""HTTP access: Mailpit's REST API v1 and the live events, with real clients
(urllib, http.client, raw sockets, curl, websocket-client) against a running
server, mail delivered over SMTP with smtplib."""

from __future__ import annotations

import base64
import imaplib
import json
import smtplib
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from email.message import EmailMessage
from typing import Any

import pytest

import mailroom

from .conftest import require_module, require_program


@pytest.fixture
def server() -> Any:
    with mailroom.Server(http_port=0) as s:
        yield s


def send(
    s: mailroom.Server,
    to: str = "bob@example.test",
    subject: str = "hello",
    body: str = "Hi",
    sender: str = "alice@example.test",
    extra: str = "",
) -> None:
    with smtplib.SMTP(*s.smtp_address) as c:
        c.sendmail(
            sender,
            [to],
            f"From: Alice <{sender}>\r\nTo: {to}\r\nSubject: {subject}\r\n"
            f"Message-ID: <{subject.replace(' ', '.')}@example.test>\r\n{extra}\r\n{body}\r\n",
        )


def get(s: mailroom.Server, path: str) -> Any:
    with urllib.request.urlopen(s.http_url + path, timeout=10) as r:
        assert r.headers["Content-Type"] == "application/json"
        return json.load(r)


def call(s: mailroom.Server, method: str, path: str, body: Any = None) -> tuple[int, bytes, Any]:
    data = (
        None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    )
    req = urllib.request.Request(s.http_url + path, data=data, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read(), r.headers
    except urllib.error.HTTPError as e:
        with e:
            return e.code, e.read(), e.headers


def test_messages_are_listed_newest_first_with_mailpit_fields(server: mailroom.Server) -> None:
    send(server, subject="first", body="your code is 123456", extra="X-Tags: signup, test\r\n")
    send(server, to="carol@example.test", subject="second")
    listed = get(server, "/api/v1/messages")
    assert (listed["total"], listed["unread"], listed["count"], listed["start"]) == (2, 2, 2, 0)
    assert listed["messages_count"] == 2
    newest, oldest = listed["messages"]
    assert [newest["Subject"], oldest["Subject"]] == ["second", "first"]
    assert set(oldest) >= {
        "ID",
        "MessageID",
        "Read",
        "From",
        "To",
        "Cc",
        "Bcc",
        "ReplyTo",
        "Subject",
        "Created",
        "Size",
        "Attachments",
        "Snippet",
        "Tags",
    }
    assert oldest["From"] == {"Name": "Alice", "Address": "alice@example.test"}
    assert oldest["To"] == [{"Name": "", "Address": "bob@example.test"}]
    assert oldest["MessageID"] == "first@example.test"
    assert oldest["Snippet"] == "your code is 123456"
    assert oldest["Tags"] == ["signup", "test"]
    assert oldest["Read"] is False and oldest["Attachments"] == 0
    assert oldest["Size"] == len(server.messages[0].raw)
    assert oldest["Created"].endswith("Z")
    page = get(server, "/api/v1/messages?start=1&limit=1")
    assert [m["Subject"] for m in page["messages"]] == ["first"]
    assert page["total"] == 2 and page["count"] == 1


def attachment_message() -> bytes:
    m = EmailMessage()
    m["From"] = "Alice <alice@example.test>"
    m["To"] = "bob@example.test"
    m["Cc"] = "Carol <carol@example.test>"
    m["Subject"] = "=?utf-8?q?caf=C3=A9?= report"
    m.set_content("See the report.\n")
    m.add_alternative("<p>See the <b>report</b>.</p>", subtype="html")
    m.add_attachment(
        b"\x00\x01binary data",
        maintype="application",
        subtype="octet-stream",
        filename="report.bin",
    )
    return bytes(m)


def test_a_message_its_headers_raw_source_and_parts(server: mailroom.Server) -> None:
    raw = attachment_message()
    with smtplib.SMTP(*server.smtp_address) as c:
        c.sendmail("alice@example.test", ["bob@example.test"], raw)
    summary = get(server, "/api/v1/messages")["messages"][0]
    assert summary["Attachments"] == 1 and summary["Subject"] == "café report"
    message = get(server, f"/api/v1/message/{summary['ID']}")
    assert message["Text"] == "See the report.\n"
    assert message["HTML"].strip() == "<p>See the <b>report</b>.</p>"
    assert message["Cc"] == [{"Name": "Carol", "Address": "carol@example.test"}]
    assert message["ReturnPath"] == "alice@example.test"
    [att] = message["Attachments"]
    assert (att["FileName"], att["ContentType"], att["Size"]) == (
        "report.bin",
        "application/octet-stream",
        13,
    )
    # Fetching a message marks it read, as Mailpit does.
    assert get(server, "/api/v1/messages")["unread"] == 0
    assert get(server, "/api/v1/message/latest")["ID"] == summary["ID"]
    status, body, headers = call(
        server, "GET", f"/api/v1/message/{summary['ID']}/part/{att['PartID']}"
    )
    assert status == 200 and body == b"\x00\x01binary data"
    assert headers["Content-Type"] == "application/octet-stream"
    status, body, _ = call(server, "GET", f"/api/v1/message/{summary['ID']}/raw")
    assert status == 200 and body == server.messages[0].raw
    fields = get(server, f"/api/v1/message/{summary['ID']}/headers")
    assert fields["Subject"] == ["café report"] and list(fields) == sorted(fields)
    assert call(server, "GET", f"/api/v1/message/{summary['ID']}/part/9")[0] == 404
    status, body, headers = call(server, "GET", "/view/latest.html")
    assert status == 200 and b"<b>report</b>" in body
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert call(server, "GET", "/view/latest.txt")[1] == b"See the report.\n"


def test_read_status_and_deletion(server: mailroom.Server) -> None:
    for i in range(3):
        send(server, subject=f"m{i}")
    ids = [m["ID"] for m in get(server, "/api/v1/messages")["messages"]]
    assert call(server, "PUT", "/api/v1/messages", {"IDs": ids[:2], "Read": True})[:2] == (
        200,
        b"ok",
    )
    assert get(server, "/api/v1/messages")["unread"] == 1
    assert call(server, "PUT", "/api/v1/messages", {"Read": False})[0] == 200  # all of them
    assert get(server, "/api/v1/messages")["unread"] == 3
    assert call(server, "DELETE", "/api/v1/messages", {"IDs": [ids[0]]})[0] == 200
    assert [m["ID"] for m in get(server, "/api/v1/messages")["messages"]] == ids[1:]
    assert call(server, "GET", f"/api/v1/message/{ids[0]}")[0] == 404
    status, body, _ = call(server, "DELETE", "/api/v1/messages", {"IDs": ["nope"]})
    assert status == 400 and "IDs" in json.loads(body)["Error"]
    assert call(server, "DELETE", "/api/v1/messages")[0] == 200
    assert get(server, "/api/v1/messages")["total"] == 0
    assert len(server.messages) == 0


def test_search_with_mailpit_syntax(server: mailroom.Server) -> None:
    send(server, to="bob@example.test", subject="Welcome aboard", body="activate your account")
    send(server, to="carol@example.test", subject="Invoice 42", sender="billing@shop.test")
    send(server, to="dave@example.test", subject="Welcome back")

    def subjects(query: str) -> list[str]:
        found = get(server, "/api/v1/search?query=" + urllib.request.quote(query))
        assert found["messages_count"] == len(found["messages"])
        return sorted(m["Subject"] for m in found["messages"])

    assert subjects("welcome") == ["Welcome aboard", "Welcome back"]
    assert subjects("to:carol") == ["Invoice 42"]
    assert subjects("from:billing@shop.test") == ["Invoice 42"]
    assert subjects('subject:"welcome back"') == ["Welcome back"]
    assert subjects("welcome -to:dave") == ["Welcome aboard"]
    assert subjects("activate") == ["Welcome aboard"]  # the text too
    get(server, "/api/v1/message/latest")  # read now
    assert subjects("is:read") == ["Welcome back"]
    assert subjects("is:unread") == ["Invoice 42", "Welcome aboard"]
    status, body, _ = call(server, "GET", "/api/v1/search?query=is:bogus")
    assert status == 400 and "is:" in json.loads(body)["Error"]
    assert call(server, "GET", "/api/v1/search")[0] == 400  # query is required
    assert call(server, "DELETE", "/api/v1/search?query=welcome")[0] == 200
    assert subjects("") == ["Invoice 42"]


def test_send_through_the_api(server: mailroom.Server) -> None:
    request = {
        "From": {"Email": "app@example.test", "Name": "The App"},
        "To": [{"Email": "user@example.test", "Name": "A User"}],
        "Bcc": ["audit@example.test"],
        "Subject": "Your receipt",
        "Text": "Thanks!",
        "HTML": "<p>Thanks!</p>",
        "Tags": ["receipt"],
        "Attachments": [{"Filename": "r.txt", "Content": base64.b64encode(b"total 3").decode()}],
    }
    status, body, _ = call(server, "POST", "/api/v1/send", request)
    assert status == 200, body
    sent_id = json.loads(body)["ID"]
    message = get(server, f"/api/v1/message/{sent_id}")
    assert message["Subject"] == "Your receipt" and message["Tags"] == ["receipt"]
    assert message["Attachments"][0]["FileName"] == "r.txt"
    assert get(server, "/api/v1/search?query=to:audit")["messages_count"] == 0  # Bcc unwritten
    assert get(server, "/api/v1/messages")["total"] == 2  # a copy for each recipient
    envelope = server.messages[0].envelope
    assert envelope is not None and envelope.mail_from == "app@example.test"
    assert sorted(envelope.rcpt_to) == ["audit@example.test", "user@example.test"]
    assert "audit" not in server.messages[0].raw.decode()  # Bcc is never written
    for bad, field in [
        ({"To": [{"Email": "x@example.test"}]}, "From"),
        ({"From": {"Email": "a@example.test"}}, "recipient"),
        ({"From": {"Email": "a@example.test"}, "To": "x@example.test"}, "To"),
        ({"From": {"Email": "a@example.test"}, "To": [{"Name": "no email"}]}, "To[0].Email"),
        (
            {
                "From": {"Email": "a@example.test"},
                "To": [{"Email": "x@example.test"}],
                "Attachments": [{"Filename": "f", "Content": "***"}],
            },
            "Attachments[0].Content",
        ),
        (b"{not json", "JSON"),
    ]:
        status, body, _ = call(server, "POST", "/api/v1/send", bad)
        assert status == 400, bad
        assert field in json.loads(body)["Error"], (bad, body)


def test_info_health_and_web_ui_settings(server: mailroom.Server) -> None:
    send(server)
    info = get(server, "/api/v1/info")
    assert info["Messages"] == 1 and info["Unread"] == 1
    assert info["Version"] == mailroom.__version__
    assert get(server, "/api/v1/webui")["MessageRelay"]["Enabled"] is False
    for path in ("/livez", "/readyz"):
        assert call(server, "GET", path)[:2] == (200, b"ok")


def test_errors_are_json_and_name_what_is_wrong(server: mailroom.Server) -> None:
    status, body, headers = call(server, "GET", "/api/v1/nothing")
    assert status == 404 and headers["Content-Type"] == "application/json"
    assert "Error" in json.loads(body)
    status, body, headers = call(server, "POST", "/api/v1/messages", {})
    assert status == 405 and headers["Allow"] == "GET, PUT, DELETE, HEAD, OPTIONS"
    assert call(server, "GET", "/api/v1/message/not-an-id")[0] == 404
    status, body, _ = call(server, "GET", "/api/v1/messages?limit=lots")
    assert status == 400 and "limit" in json.loads(body)["Error"]
    status, body, _ = call(server, "PUT", "/api/v1/messages", {"Read": "yes"})
    assert status == 400 and "Read" in json.loads(body)["Error"]
    curl = require_program("curl")
    for path in (
        "/view/../../etc/passwd",
        "/view/%2e%2e/x.html",
        "/api/v1/message/%2e%2e%2fraw",
        "/static/..%5c..%5cetc",
    ):
        done = subprocess.run(
            [
                curl,
                "-s",
                "--path-as-is",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
                server.http_url + path,
            ],
            capture_output=True,
            text=True,
            timeout=20,
        )
        assert done.stdout == "400", path


def raw_exchange(s: mailroom.Server, data: bytes, until_closed: bool = True) -> bytes:
    with socket.create_connection((s.host, s.http_port), timeout=10) as c:
        c.sendall(data)
        if not until_closed:
            c.shutdown(socket.SHUT_WR)
        out = b""
        while chunk := c.recv(65536):
            out += chunk
        return out


def test_keep_alive_and_pipelining(server: mailroom.Server) -> None:
    send(server)
    pipelined = (
        b"GET /livez HTTP/1.1\r\nHost: x\r\n\r\n"
        b"GET /api/v1/messages HTTP/1.1\r\nHost: x\r\n\r\n"
        b"GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    out = raw_exchange(server, pipelined)
    assert out.count(b"HTTP/1.1 200 OK\r\n") == 3
    assert out.index(b"ok") < out.index(b'"total"') < out.rindex(b"ok")
    import http.client

    c = http.client.HTTPConnection(server.host, server.http_port, timeout=10)
    for _ in range(3):  # one connection, kept alive
        c.request("GET", "/api/v1/messages")
        r = c.getresponse()
        assert r.status == 200 and json.loads(r.read())["total"] == 1
    c.close()


def test_oversized_and_malformed_requests(server: mailroom.Server) -> None:
    assert raw_exchange(
        server, b"GET / HTTP/1.1\r\nHost: x\r\nX: " + b"a" * 40000 + b"\r\n\r\n"
    ).startswith(b"HTTP/1.1 431 ")
    too_big = 32 * 1024 * 1024 * 2
    assert raw_exchange(
        server,
        b"POST /api/v1/send HTTP/1.1\r\nHost: x\r\nContent-Length: "
        + str(too_big).encode()
        + b"\r\n\r\n",
    ).startswith(b"HTTP/1.1 413 ")
    assert raw_exchange(server, b"GARBAGE\r\n\r\n").startswith(b"HTTP/1.1 400 ")
    assert raw_exchange(server, b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n").startswith(
        b"HTTP/1.1 414 "
    )
    # Others are served meanwhile.
    assert get(server, "/api/v1/messages")["total"] == 0


def test_a_slow_client_is_cut_off_and_others_are_served() -> None:
    with mailroom.Server(http_port=0, idle_timeout=0.5) as s:
        with socket.create_connection((s.host, s.http_port), timeout=10) as slow:
            slow.sendall(b"GET /livez HTTP/1.1\r\nHo")
            assert get(s, "/api/v1/messages")["total"] == 0
            started = time.monotonic()
            answer = slow.recv(4096)
            assert answer.startswith(b"HTTP/1.1 408 ")
            assert slow.recv(4096) == b""
            assert time.monotonic() - started < 5


def test_https_with_the_servers_tls_settings() -> None:
    with mailroom.Server(tls="auto", https_port=0) as s:
        assert s.http_port is None and s.http_url.startswith("https://")
        with urllib.request.urlopen(
            s.http_url + "/livez", context=s.ssl_context(), timeout=10
        ) as r:
            assert r.read() == b"ok"


def test_live_events_over_the_websocket(server: mailroom.Server) -> None:
    websocket = require_module("websocket")
    ws = websocket.create_connection(
        f"ws://{server.host}:{server.http_port}/api/events", timeout=10
    )
    try:
        send(server, subject="live one")
        first = json.loads(ws.recv())
        while first["Type"] == "mailroom.folder":  # the account's folders, made first
            assert first["Data"]["Total"] == 0
            first = json.loads(ws.recv())
        assert first["Type"] == "new"
        assert first["Data"]["Subject"] == "live one" and first["Data"]["Read"] is False
        stats = json.loads(ws.recv())
        assert stats == {
            "Type": "stats",
            "Data": {"Total": 1, "Unread": 1, "Version": mailroom.__version__},
        }
        # mailroom's own event after Mailpit's: the folder's counts.
        inbox = {"Account": "bob@example.test", "Folder": "INBOX"}
        folder = json.loads(ws.recv())
        assert folder == {"Type": "mailroom.folder", "Data": {**inbox, "Total": 1, "Unread": 1}}
        assert call(server, "PUT", "/api/v1/messages", {"Read": True})[0] == 200
        update = json.loads(ws.recv())
        assert update["Type"] == "update" and update["Data"] == {
            "ID": first["Data"]["ID"],
            "Read": True,
            "Tags": [],
        }
        json.loads(ws.recv())  # stats
        folder = json.loads(ws.recv())
        assert folder == {"Type": "mailroom.folder", "Data": {**inbox, "Total": 1, "Unread": 0}}
        assert call(server, "DELETE", "/api/v1/messages")[0] == 200
        events = [json.loads(ws.recv())]
        while events[-1]["Type"] != "delete":  # the Deleted flag first: an update
            events.append(json.loads(ws.recv()))
        assert events[-1] == {"Type": "delete", "Data": {"ID": first["Data"]["ID"]}}
        assert json.loads(ws.recv())["Data"]["Total"] == 0
        # The mailbox is empty now: Mailpit's "truncate".
        assert json.loads(ws.recv()) == {"Type": "truncate", "Data": None}
        assert json.loads(ws.recv())["Data"] == {**inbox, "Total": 0, "Unread": 0}
        # Any folder, not only INBOX: mailroom's event alone.
        server.account("bob@example.test").folder("Archive").append(b"Subject: a\r\n\r\na\r\n")
        archived = json.loads(ws.recv())
        assert archived == {
            "Type": "mailroom.folder",
            "Data": {"Account": "bob@example.test", "Folder": "Archive", "Total": 1, "Unread": 1},
        }
        ws.ping(b"still there?")
        assert ws.recv_data_frame(True)[1].data == b"still there?"
    finally:
        ws.close()
    # Without the upgrade: 426 naming what is missing.
    status, body, headers = call(server, "GET", "/api/events")
    assert status == 426 and headers["Upgrade"] == "websocket"


def test_folder_tree_changes_by_imap_reach_the_websocket() -> None:
    """An IMAP client's CREATE, RENAME and DELETE are mailroom.folder events
    too, so the web client's folder tree follows them."""
    websocket = require_module("websocket")
    with mailroom.Server(http_port=0, imap_port=0) as s:
        s.account("bob@example.test")  # its folders made before the socket listens
        ws = websocket.create_connection(f"ws://{s.host}:{s.http_port}/api/events", timeout=10)
        c = imaplib.IMAP4(s.host, s.imap_port, timeout=10)
        try:
            c.login("bob@example.test", "any")
            bob = {"Account": "bob@example.test", "Total": 0, "Unread": 0}
            assert c.create("Projects")[0] == "OK"
            assert json.loads(ws.recv()) == {
                "Type": "mailroom.folder",
                "Data": {**bob, "Folder": "Projects"},
            }
            assert c.rename("Projects", "Done")[0] == "OK"
            assert json.loads(ws.recv())["Data"] == {**bob, "Folder": "Done"}
            assert c.delete("Done")[0] == "OK"
            assert json.loads(ws.recv())["Data"] == {**bob, "Folder": "Done"}
        finally:
            c.logout()
            ws.close()


def test_websocket_frames_over_the_limit_close_the_socket(server: mailroom.Server) -> None:
    websocket = require_module("websocket")
    ws = websocket.create_connection(
        f"ws://{server.host}:{server.http_port}/api/events", timeout=10
    )
    # The head of a masked text frame of 70 KiB: refused as soon as it is read.
    ws.sock.sendall(b"\x81\xff" + (70 * 1024).to_bytes(8, "big") + b"\x01\x02\x03\x04" + b"x" * 100)
    frame = ws.recv_data_frame(True)[1]
    assert frame.opcode == websocket.ABNF.OPCODE_CLOSE
    assert int.from_bytes(frame.data[:2], "big") == 1009
    ws.shutdown()
    assert get(server, "/api/v1/messages")["total"] == 0


def test_wait_is_answered_the_moment_a_matching_message_arrives(server: mailroom.Server) -> None:
    send(server, to="other@example.test", subject="not this one")
    answers: list[tuple[int, Any, float]] = []

    def waiter() -> None:
        status, body, _ = call(
            server, "GET", "/api/mailroom/wait?to=carol@&subject=code&timeout=30"
        )
        answers.append((status, json.loads(body), time.monotonic()))

    t = threading.Thread(target=waiter)
    t.start()
    time.sleep(0.3)
    send(server, to="carol@example.test", subject="no match here")
    assert not answers
    sent_at = time.monotonic()
    send(server, to="carol@example.test", subject="your code", body="code 777111")
    t.join(35)
    [(status, summary, answered_at)] = answers
    assert status == 200 and summary["Subject"] == "your code"
    assert "777111" in summary["Snippet"]
    # Answered on arrival, not at the 30 s timeout nor by a poll's next turn.
    assert answered_at - sent_at < 2.0, answered_at - sent_at
    # A message already there is answered at once; none in time gets 408.
    status, body, _ = call(server, "GET", "/api/mailroom/wait?subject=your%20code")
    assert status == 200 and json.loads(body)["Subject"] == "your code"
    status, body, _ = call(server, "GET", "/api/mailroom/wait?to=nobody&timeout=0.2")
    assert status == 408 and "Error" in json.loads(body)
    status, body, _ = call(server, "GET", "/api/mailroom/wait?timeout=soon")
    assert status == 400 and "timeout" in json.loads(body)["Error"]
    assert call(server, "POST", "/api/mailroom/wait")[0] == 405


def test_http_is_off_by_default() -> None:
    assert mailroom.Server().http_port is None
    with pytest.raises(RuntimeError, match="HTTP is off"):
        mailroom.Server().http_url  # noqa: B018


def test_serve_prints_the_http_url_and_serves_it() -> None:
    from .test_cli import start_serve, stop_serve

    proc, lines = start_serve("--http-port", "0")
    try:
        [line] = [line for line in lines if "HTTP on http://" in line]
        url = line.split("HTTP on ")[1].split(",")[0]
        with urllib.request.urlopen(url + "/api/v1/info", timeout=10) as r:
            assert json.load(r)["Messages"] == 0
    finally:
        stop_serve(proc)
    proc, lines = start_serve("--no-http")
    stop_serve(proc)
    assert not any("HTTP" in line for line in lines)
    done = subprocess.run(
        [sys.executable, "-m", "mailroom", "serve", "--no-http", "--http-port", "0"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert done.returncode == 2 and "--no-http and --http-port" in done.stderr


def test_links_and_one_time_codes_in_a_message(server: mailroom.Server) -> None:
    m = EmailMessage()
    m["From"] = "app@example.test"
    m["To"] = "new.user@example.test"
    m["Subject"] = "Your sign-in code 482913"
    m.set_content(
        "Your code is 482913. It expires at 12:30 on 2026-12-01.\n"
        "Or open https://app.example.test/verify?token=a1b2c3d4e5&step=2.\n"
        "Order 12345678901, call 555-1234, version 1.2345.\n"
    )
    m.add_alternative(
        '<p><a href="https://app.example.test/verify?token=a1b2c3d4e5&amp;step=2">Verify</a>'
        " <a href='https://app.example.test/help'>help</a> <a href=\"mailto:x@y\">mail</a></p>",
        subtype="html",
    )
    with smtplib.SMTP(*server.smtp_address) as c:
        c.sendmail("app@example.test", ["new.user@example.test"], bytes(m))
    links = get(server, "/api/mailroom/message/latest/links")
    assert links["Links"] == [
        "https://app.example.test/verify?token=a1b2c3d4e5&step=2",
        "https://app.example.test/help",
    ]
    assert get(server, "/api/mailroom/message/latest/codes")["Codes"] == ["482913"]
    assert call(server, "GET", "/api/mailroom/message/nope/codes")[0] == 404


def test_codes_and_links_of_an_html_only_message(server: mailroom.Server) -> None:
    m = EmailMessage()
    m["From"] = "app@example.test"
    m["To"] = "new.user@example.test"
    m["Subject"] = "Welcome"
    m.set_content(
        "<p>On 1 Dec 2026 you asked to sign in. Order 4521.</p>"
        "<p>Your verification code: <b>98</b><span>76</span>54</p>"
        "<table><tr><td>1</td><td>3</td><td>5</td><td>7</td></tr></table>"
        "<p>Or paste https://app.example.test/v?t=abc&amp;u=1 in your browser.</p>",
        subtype="html",
    )
    with smtplib.SMTP(*server.smtp_address) as c:
        c.sendmail("app@example.test", ["new.user@example.test"], bytes(m))
    server.wait_for(to="new.user@example.test")
    codes = get(server, "/api/mailroom/message/latest/codes")["Codes"]
    assert codes == ["987654", "4521", "1357"]
    links = get(server, "/api/mailroom/message/latest/links")["Links"]
    assert links == ["https://app.example.test/v?t=abc&u=1"]


def test_accounts_folders_flags_move_and_delete(server: mailroom.Server) -> None:
    send(server, to="bob@example.test", subject="for bob")
    send(server, to="carol@example.test", subject="for carol")
    accounts = get(server, "/api/mailroom/accounts")["Accounts"]
    assert [(a["Address"], a["Messages"], a["Unread"]) for a in accounts] == [
        ("bob@example.test", 1, 1),
        ("carol@example.test", 1, 1),
    ]
    folders = get(server, "/api/mailroom/folders?account=bob@example.test")["Folders"]
    assert {f["Name"]: f["SpecialUse"] for f in folders}["Sent"] == "\\Sent"
    inbox = get(server, "/api/mailroom/messages?account=bob@example.test")
    [bob] = inbox["messages"]
    assert (inbox["Folder"], bob["Subject"], bob["Flags"]) == ("INBOX", "for bob", [])
    change = {"IDs": [bob["ID"]], "Add": ["\\Flagged", "$Important"], "Remove": []}
    assert call(server, "PUT", "/api/mailroom/messages", change)[0] == 200
    [bob] = get(server, "/api/mailroom/messages?account=bob@example.test")["messages"]
    assert bob["Flags"] == ["\\Flagged", "$Important"]
    status, body, _ = call(
        server, "POST", "/api/mailroom/move", {"IDs": [bob["ID"]], "To": "Archive"}
    )
    assert status == 200
    [moved] = json.loads(body)["IDs"]
    assert get(server, "/api/mailroom/messages?account=bob@example.test")["total"] == 0
    archived = get(server, "/api/mailroom/messages?account=bob@example.test&folder=Archive")
    assert [m["ID"] for m in archived["messages"]] == [moved]
    assert get(server, f"/api/mailroom/message/{moved}")["Subject"] == "for bob"
    assert get(server, f"/api/mailroom/message/{moved}/codes")["Codes"] == []
    # Mailpit's API sees INBOX only.
    assert call(server, "GET", f"/api/v1/message/{moved}")[0] == 404
    assert call(server, "DELETE", "/api/mailroom/messages", {"IDs": [moved]})[0] == 200
    assert call(server, "GET", f"/api/mailroom/message/{moved}")[0] == 404
    for method, path, body, status, named in [
        ("GET", "/api/mailroom/folders", None, 400, "account"),
        ("GET", "/api/mailroom/folders?account=nobody@example.test", None, 404, "nobody"),
        ("GET", "/api/mailroom/messages?account=bob@example.test&folder=Nope", None, 404, "Nope"),
        ("PUT", "/api/mailroom/messages", {"IDs": [moved], "Add": ["\\Recent"]}, 400, "Add"),
        ("PUT", "/api/mailroom/messages", {"Add": ["\\Seen"]}, 400, "IDs"),
        ("POST", "/api/mailroom/move", {"IDs": ["x"], "To": "Archive"}, 400, "IDs"),
        ("POST", "/api/mailroom/move", {"IDs": []}, 400, "To"),
    ]:
        got, answer, _ = call(server, method, path, body)
        assert got == status and named in json.loads(answer)["Error"], (path, answer)


def test_a_quiet_websocket_is_kept_open_with_pings() -> None:
    websocket = require_module("websocket")
    with mailroom.Server(http_port=0, idle_timeout=0.6) as s:
        ws = websocket.create_connection(f"ws://{s.host}:{s.http_port}/api/events", timeout=10)
        try:
            pings = 0
            deadline = time.monotonic() + 2.0
            while time.monotonic() < deadline:  # three idle timeouts, answering pings
                opcode, _frame = ws.recv_data(control_frame=True)
                if opcode == websocket.ABNF.OPCODE_PING:
                    pings += 1
            assert pings >= 2
            send(s, subject="still open")
            while True:
                opcode, data = ws.recv_data(control_frame=True)
                # The account's folders, made by its first delivery, come first.
                if opcode == websocket.ABNF.OPCODE_TEXT:
                    if json.loads(data)["Type"] == "mailroom.folder":
                        continue
                    assert json.loads(data)["Type"] == "new"
                    break
        finally:
            ws.close()
