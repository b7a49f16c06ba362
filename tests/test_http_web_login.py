"""The login page in real headless Chromium (Debian's, driven by Playwright;
no browser is downloaded, and every request to another host is blocked): a
wrong password is refused, the right one opens the web client with only
that user's mail, logout ends it."""

from __future__ import annotations

import smtplib
from pathlib import Path
from typing import Any

import mailroom

from .test_http_web import artifacts, browser_page  # noqa: F401  (the fixture)

USERS = {"bob@example.test": "bob-secret", "eve@example.test": "eve-secret"}


def test_login_page_opens_the_client_for_that_user_only(
    browser_page: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    page, outside = browser_page
    with mailroom.Server(http_port=0, users=USERS, auth_failure_delay=0.2) as s:
        with smtplib.SMTP(*s.smtp_address) as c:
            for to in USERS:
                c.sendmail(
                    "alice@example.test", [to],
                    f"From: alice@example.test\r\nTo: {to}\r\nSubject: for {to}\r\n\r\nhi\r\n",
                )  # fmt: skip
        page.goto(s.http_url + "/")
        assert page.url == s.http_url + "/login?next=/"
        page.fill("#user", "bob@example.test")
        page.fill("#password", "wrong")
        page.click("#submit")
        page.wait_for_selector("#error:not([hidden])")
        assert "Wrong" in (page.text_content("#error") or "")
        page.screenshot(path=str(artifacts(tmp_path) / "web-login.png"))
        page.fill("#password", USERS["bob@example.test"])
        page.click("#submit")
        page.wait_for_url(s.http_url + "/")
        row = page.wait_for_selector("#messages li")
        assert "for bob@example.test" in (row.text_content() or "")
        page.wait_for_selector("#live.online")  # the WebSocket opened with the session
        assert len(page.query_selector_all("#messages li")) == 1
        assert "eve@" not in (page.text_content("#messages") or "")
        cookies = {c["name"]: c for c in page.context.cookies()}
        assert cookies["mailroom_session"]["httpOnly"] is True
        assert cookies["mailroom_session"]["sameSite"] == "Strict"
        assert "mailroom_session" not in page.evaluate("document.cookie")
        me = page.evaluate("fetch('/api/mailroom/me').then((r) => r.json())")
        assert me["User"] == "bob@example.test"
        status = page.evaluate(
            """() => {
              const csrf = document.cookie.match(/mailroom_csrf=([^;]+)/)[1];
              return fetch('/api/mailroom/logout', {method: 'POST',
                headers: {'X-CSRF-Token': csrf}}).then((r) => r.status);
            }"""
        )
        assert status == 200
        page.goto(s.http_url + "/")
        page.wait_for_selector("#login")
        assert page.url.startswith(s.http_url + "/login")
    assert outside == []
