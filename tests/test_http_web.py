"""The web mail client's first page in a real, headless Chromium (Debian's
chromium, driven by Playwright; no browser is downloaded): a message sent
over SMTP appears without a reload, opens in the reader, and nothing is
fetched from anywhere but the server. Screenshots are kept as artifacts
(in $MAILROOM_ARTIFACTS when set, else the test's temporary folder)."""

from __future__ import annotations

import smtplib
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

import mailroom

from .browser import artifacts, chromium, wait_until


@pytest.fixture
def browser_page() -> Any:
    with chromium(1000, 700) as b:
        yield b.page, b.outside


def test_new_mail_appears_live_and_opens(browser_page: Any, tmp_path: Path) -> None:
    page, outside = browser_page
    with mailroom.Server(http_port=0) as s:
        page.goto(s.http_url + "/")
        page.wait_for_selector("#live.online")
        assert page.text_content("#counts") == "0 messages, 0 unread"
        with smtplib.SMTP(*s.smtp_address) as c:
            c.sendmail(
                "alice@example.test", ["bob@example.test"],
                b"From: Alice <alice@example.test>\r\nTo: bob@example.test\r\n"
                b"Subject: <b>live</b> & well\r\n\r\nHello Bob,\r\n<script>x()</script>\r\n",
            )  # fmt: skip
        row = page.wait_for_selector("#messages li.unread")
        assert row.text_content() is not None
        assert "<b>live</b> & well" in (row.text_content() or "")  # shown as text
        wait_until(page, "document.querySelector('#counts').textContent.includes('1 unread')")
        page.screenshot(path=str(artifacts(tmp_path) / "web-list.png"))
        row.click()
        page.wait_for_selector("#message:not([hidden])")
        assert page.text_content("#subject") == "<b>live</b> & well"
        assert "<script>x()</script>" in (page.text_content("#text") or "")
        assert page.query_selector("#text script") is None
        wait_until(page, "!document.querySelector('#messages li.unread')")
        page.screenshot(path=str(artifacts(tmp_path) / "web-reader.png"))
        # At 360 px the reader takes the screen; Escape goes back to the list.
        page.set_viewport_size({"width": 360, "height": 640})
        assert not page.is_visible("#list")
        page.keyboard.press("Escape")
        assert page.is_visible("#list")
    assert outside == []


def test_static_files_stay_in_their_folder() -> None:
    with mailroom.Server(http_port=0) as s:
        with urllib.request.urlopen(s.http_url + "/web/app.js", timeout=10) as r:
            assert r.headers["Content-Type"].startswith("text/javascript")
            assert "script-src 'self'" in r.headers["Content-Security-Policy"]
        for path in ("/web/..%2fserver.py", "/web/server.py", "/web/.hidden.js",
                     "/web/a.b.js", "/web/%2e%2e", "/web/missing.css"):  # fmt: skip
            with pytest.raises(urllib.error.HTTPError) as e:
                urllib.request.urlopen(s.http_url + path, timeout=10)
            assert e.value.code in (400, 404), path
            e.value.close()
