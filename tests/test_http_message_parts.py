"""A reader route of the web mail client, with real clients against a
running server: the parts of a message in any folder, which the html
route's cid: references load (the message appended to Sent with imaplib)."""

from __future__ import annotations

import base64
import imaplib
import json
import urllib.parse
from typing import Any

import pytest

import mailroom

from .test_http_api import call, get


@pytest.fixture
def server() -> Any:
    with mailroom.Server(http_port=0, imap_port=0) as s:
        yield s


PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452")
INLINE_IMAGE = (
    b"From: bob@example.test\r\nTo: carol@example.test\r\nSubject: with a logo\r\n"
    b"MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=r\r\n\r\n"
    b"--r\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
    b'<p>logo: <img src="cid:logo@bob"></p>\r\n'
    b"--r\r\nContent-Type: image/png\r\nContent-ID: <logo@bob>\r\n"
    b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.b64encode(PNG) + b"\r\n--r--\r\n"
)


def appended_to_sent(s: mailroom.Server) -> str:
    assert s.imap_port
    c = imaplib.IMAP4(s.host, s.imap_port, timeout=10)
    try:
        c.login("bob@example.test", "any")  # test mode: any password
        typ, _ = c.append("Sent", "(\\Seen)", None, INLINE_IMAGE)
        assert typ == "OK"
    finally:
        c.logout()
    query = urllib.parse.urlencode({"account": "bob@example.test", "folder": "Sent"})
    [m] = get(s, f"/api/mailroom/messages?{query}")["messages"]
    return str(m["ID"])


def test_inline_images_of_a_message_in_sent_load(server: mailroom.Server) -> None:
    mid = appended_to_sent(server)
    status, body, headers = call(server, "GET", f"/api/mailroom/message/{mid}/html")
    assert status == 200
    assert "img-src 'self' data:;" in headers["Content-Security-Policy"]
    [part] = [
        p["PartID"]
        for p in get(server, f"/api/mailroom/message/{mid}/structure")["Parts"]
        if p["ContentID"] == "logo@bob"
    ]
    src = f"/api/mailroom/message/{mid}/part/{part}"
    assert f'<img src="{src}">' in body.decode()
    status, image, headers = call(server, "GET", src)
    assert status == 200
    assert headers["Content-Type"] == "image/png"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert image == PNG
    # Mailpit's route serves INBOX messages only; the message is in Sent.
    assert call(server, "GET", f"/api/v1/message/{mid}/part/{part}")[0] == 404


def test_part_route_errors(server: mailroom.Server) -> None:
    mid = appended_to_sent(server)
    for path, words in [
        (f"/api/mailroom/message/{mid}/part/9", "has no part 9"),
        (f"/api/mailroom/message/{mid}/part/0", "has no part 0"),
        ("/api/mailroom/message/nothing/part/1", "nothing"),
    ]:
        status, body, headers = call(server, "GET", path)
        assert status == 404 and headers["Content-Type"] == "application/json"
        assert words in json.loads(body)["Error"]
