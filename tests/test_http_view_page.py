"""Mailpit's /view/{ID}.html opened as a page of its own in a real headless
Chromium: the hostile message of the reader's tests plus references to the
server's own API (a GET that marks a message read, a long-polling wait).
The page is the message's HTML sanitized, its cid: image inline, under a
Content-Security-Policy with no 'self': the browser asks for nothing but the
page, and the message stays unread."""

from __future__ import annotations

import json
import smtplib
import urllib.error
import urllib.request
from typing import Any

import mailroom

from .test_http_compose import HOSTILE
from .test_http_web import (
    browser_page,  # noqa: F401  (the fixture, shared)
)

# The server's own routes, as a message could name them: relative, so an
# img-src 'self' would let them load.
SELF_REFERENCES = (
    b"<img src=/api/v1/message/latest><img src='/api/mailroom/wait?timeout=3600'>"
    b"<div style='background: url(/api/v1/message/latest)'>bg</div>"
    b"<link rel=stylesheet href=/api/v1/messages><img srcset='/api/v1/info 2x'>"
    b"<video poster=/api/v1/message/latest></video><audio src=/api/v1/tags></audio>"
)
HOSTILE_TO_SELF = HOSTILE.replace(b"<p id=marker>", SELF_REFERENCES + b"<p id=marker>")


def messages(s: mailroom.Server) -> Any:
    with urllib.request.urlopen(s.http_url + "/api/v1/messages", timeout=10) as r:
        return json.load(r)["messages"]


def test_view_html_is_sanitized_and_asks_nothing_of_the_server(
    browser_page: Any,  # noqa: F811
) -> None:
    page, outside = browser_page
    requests: list[str] = []
    dialogs: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    with mailroom.Server(http_port=0) as s:
        with smtplib.SMTP(*s.smtp_address) as c:
            c.sendmail("eve@evil.example", ["bob@example.test"], HOSTILE_TO_SELF)
        s.wait_for(to="bob@example.test")
        [message] = messages(s)
        assert message["Read"] is False
        url = f"{s.http_url}/view/{message['ID']}.html"
        with urllib.request.urlopen(url, timeout=10) as r:
            policy = r.headers["Content-Security-Policy"]
            html = r.read().decode()
        assert "'self'" not in policy and "img-src data:;" in policy and "sandbox" in policy
        low = html.lower()
        for banned in ("<script", "onerror", "javascript:", "/api/", "evil.example", "<link"):
            assert banned not in low, banned
        # The cid: image is the part itself, inline.
        assert '<img src="data:image/png;base64,iVBORw0KGgo=">' in html

        page.goto(url)
        page.wait_for_load_state("load")
        assert page.text_content("#marker") == "SAFE-MARKER"
        page.wait_for_timeout(1500)  # a refresh, a timer or a late image would show by now
        assert requests == [url], requests
        assert outside == [] and dialogs == []
        [after] = messages(s)
        assert after["Read"] is False


def test_view_html_of_a_message_without_html_is_404() -> None:
    with mailroom.Server(http_port=0) as s:
        with smtplib.SMTP(*s.smtp_address) as c:
            c.sendmail("a@example.test", ["b@example.test"], b"Subject: t\r\n\r\nplain\r\n")
        s.wait_for(to="b@example.test")
        [message] = messages(s)
        try:
            urllib.request.urlopen(f"{s.http_url}/view/{message['ID']}.html", timeout=10)
        except urllib.error.HTTPError as e:
            assert e.code == 404
            assert "has no HTML part" in json.load(e)["Error"]
        else:
            raise AssertionError("a message without HTML has no HTML view")
