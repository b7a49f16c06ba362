"""The web mail client's reader and compose routes with a real HTTP client
(urllib) against a running server, mail delivered over SMTP with smtplib:
the sanitized HTML under its Content-Security-Policy."""

from __future__ import annotations

import json
import smtplib
from typing import Any

import pytest

import mailroom

from .test_http_api import call, get

HOSTILE = (
    b"From: Eve <eve@evil.example>\r\nTo: bob@example.test\r\nSubject: hostile\r\n"
    b"MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=b\r\n\r\n"
    b"--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
    b"<html><head><meta http-equiv=refresh content='0;url=https://evil.example/'>"
    b"<base href=https://evil.example/><link rel=stylesheet href=https://evil.example/x.css>"
    b"<style>@import url(https://evil.example/i.css); p { background: url(//evil.example/b.png) }"
    b"</style></head><body onload=alert(1)>"
    b"<p id=marker>SAFE-MARKER</p><script>alert(2)</script>"
    b"<img src=x onerror=alert(3)><img src=//evil.example/t.gif><img src=cid:logo@x>"
    b"<a href='jav&#x09;ascript:alert(4)'>click</a>"
    b"<svg><script>alert(5)</script></svg><iframe src=https://evil.example/></iframe>"
    b"<form action=https://evil.example/><input name=p></form>"
    b"<object data=https://evil.example/x.swf></object>"
    b"<div style=\"background-image: url('https://evil.example/c.png')\">styled</div>"
    b"</body></html>\r\n"
    b"--b\r\nContent-Type: image/png\r\nContent-ID: <logo@x>\r\n"
    b"Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--b--\r\n"
)


@pytest.fixture
def server() -> Any:
    with mailroom.Server(http_port=0) as s:
        yield s


def deliver(s: mailroom.Server, data: bytes, to: str = "bob@example.test") -> str:
    with smtplib.SMTP(*s.smtp_address) as c:
        c.sendmail("eve@evil.example", [to], data)
    s.wait_for(to=to)
    return str(get(s, "/api/v1/messages")["messages"][0]["ID"])


def test_html_is_sanitized_under_a_strict_policy(server: mailroom.Server) -> None:
    mid = deliver(server, HOSTILE)
    status, body, headers = call(server, "GET", f"/api/mailroom/message/{mid}/html")
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    policy = headers["Content-Security-Policy"]
    assert policy == (
        "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; "
        "font-src 'self' data:; sandbox; frame-ancestors 'self'"
    )
    # the remote image, the remote background, @import and the CSS url()
    assert headers["X-Mailroom-Remote-Blocked"] == "4"
    html = body.decode()
    assert "SAFE-MARKER" in html and "styled" in html
    low = html.lower()
    words = "<script onload onerror javascript: <svg <iframe <form <input <object <base <link"
    for banned in [*words.split(), "<meta http-equiv", "evil.example"]:
        assert banned not in low, banned
    # cid: points at the part, which the server serves
    [part] = [a for a in get(server, f"/api/v1/message/{mid}")["Inline"]]
    src = f"/api/v1/message/{mid}/part/{part['PartID']}"
    assert f'<img src="{src}">' in html
    assert call(server, "GET", src)[0] == 200


def test_remote_content_when_allowed(server: mailroom.Server) -> None:
    mid = deliver(server, HOSTILE)
    status, body, headers = call(server, "GET", f"/api/mailroom/message/{mid}/html?remote=1")
    assert status == 200
    assert headers["X-Mailroom-Remote-Blocked"] == "0"
    policy = headers["Content-Security-Policy"]
    assert "img-src 'self' data: http: https:" in policy
    assert "style-src 'unsafe-inline' http: https:" in policy
    assert "sandbox" in policy and "default-src 'none'" in policy
    html = body.decode()
    assert '<img src="//evil.example/t.gif">' in html
    assert "<script" not in html.lower() and "javascript:" not in html.lower()


def test_a_text_message_is_escaped_pre(server: mailroom.Server) -> None:
    mid = deliver(
        server,
        b"From: a@example.test\r\nTo: bob@example.test\r\nSubject: t\r\n\r\n"
        b"1 < 2 <script>alert(1)</script>\r\n",
    )
    status, body, _ = call(server, "GET", f"/api/mailroom/message/{mid}/html")
    assert status == 200
    assert '<pre style="white-space: pre-wrap">1 &lt; 2 &lt;script&gt;' in body.decode()


def test_html_route_errors(server: mailroom.Server) -> None:
    mid = deliver(server, HOSTILE)
    status, body, _ = call(server, "GET", f"/api/mailroom/message/{mid}/html?remote=yes")
    assert status == 400 and "remote" in json.loads(body)["Error"]
    status, body, _ = call(server, "GET", "/api/mailroom/message/nope/html")
    assert status == 404 and json.loads(body)["Error"]
