"""A hostile HTML message opened the way the web mail client shows it, in
``<iframe sandbox>`` pointing at the html route, in a real headless Chromium
(Debian's, driven by Playwright): nothing in it runs (no dialog, no console
message, no navigation) and nothing is requested from anywhere but the
server, not even an attempt the test's blocker would refuse."""

from __future__ import annotations

import json
import smtplib
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import mailroom

from .test_http_compose import HOSTILE
from .test_http_web import (
    artifacts,
    browser_page,  # noqa: F401  (the fixture, shared)
)


def test_hostile_html_runs_and_loads_nothing(browser_page: Any, tmp_path: Path) -> None:  # noqa: F811
    page, outside = browser_page
    dialogs: list[str] = []
    console: list[str] = []
    navigations: list[str] = []
    requests: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("console", lambda m: console.append(m.text))
    page.on("framenavigated", lambda f: navigations.append(f.url))
    page.on("request", lambda r: requests.append(r.url))
    with mailroom.Server(http_port=0) as s:
        with smtplib.SMTP(*s.smtp_address) as c:
            c.sendmail("eve@evil.example", ["bob@example.test"], HOSTILE)
        s.wait_for(to="bob@example.test")
        with urllib.request.urlopen(s.http_url + "/api/v1/messages", timeout=10) as r:
            mid = json.load(r)["messages"][0]["ID"]
        frame_url = f"{s.http_url}/api/mailroom/message/{mid}/html"
        # A page of the server's origin holding the frame as the client does.
        holder = s.http_url + "/reader-frame-test"
        page.route(
            holder,
            lambda route: route.fulfill(
                status=200,
                content_type="text/html",
                body=f'<!DOCTYPE html><iframe id=f sandbox src="{frame_url}"></iframe>',
            ),
        )
        page.goto(holder)
        page.wait_for_load_state("load")
        frame = next(f for f in page.frames if f.url == frame_url)
        frame.wait_for_selector("#marker")
        assert frame.text_content("#marker") == "SAFE-MARKER"
        assert frame.query_selector("script") is None
        assert frame.query_selector("svg") is None
        page.wait_for_timeout(1500)  # give a meta refresh or a timer the time it would take
        page.screenshot(path=str(artifacts(tmp_path) / "web-hostile-html.png"))
        assert dialogs == []
        assert console == []
        assert navigations == [holder, frame_url]
        assert outside == []
        hosts = {urllib.parse.urlsplit(u).hostname for u in requests}
        assert hosts == {"127.0.0.1"}, requests
        allowed = {holder, frame_url}
        assert all(u in allowed or "/part/" in u for u in requests), requests
