"""Debian's headless Chromium driven by Playwright for the web client's
tests (no browser is downloaded): every request to a host other than the
loopback one is refused and counted, script errors of the page are kept,
and screenshots go to $MAILROOM_ARTIFACTS when set, else the test's
temporary folder."""

from __future__ import annotations

import contextlib
import os
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .conftest import require_module, require_program

LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")


@dataclass
class Browser:
    page: Any
    outside: list[str] = field(default_factory=list)  # refused requests to other hosts
    errors: list[str] = field(default_factory=list)  # uncaught script errors of the page
    context: Any = None


def artifacts(tmp_path: Path) -> Path:
    where = Path(os.environ.get("MAILROOM_ARTIFACTS", tmp_path))
    where.mkdir(parents=True, exist_ok=True)
    return where


@contextlib.contextmanager
def chromium(width: int = 1280, height: int = 800) -> Iterator[Browser]:
    executable = require_program("chromium")
    playwright = require_module("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, headless=True)
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        b = Browser(page, context=context)

        # Nothing leaves the machine: every request to another host is refused.
        def guard(route: Any) -> None:
            host = urllib.parse.urlsplit(route.request.url).hostname
            if host in LOOPBACK:
                route.continue_()
            else:
                b.outside.append(route.request.url)
                route.abort()

        context.route("**/*", guard)
        page.on("pageerror", lambda e: b.errors.append(str(e)))
        try:
            yield b
        finally:
            browser.close()


def wait_until(page: Any, expression: str, arg: Any = None, timeout: float = 15.0) -> Any:
    """Waits for a JavaScript expression (or a one-argument function given
    `arg`) to be true in the page. Polled from here, not in the page: the
    client's Content-Security-Policy refuses the eval that Playwright's own
    wait_for_function polls with."""
    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate(expression, arg)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout} s: {expression}")
        time.sleep(0.05)


@contextlib.contextmanager
def checked_chromium(width: int = 1280, height: int = 800) -> Iterator[Browser]:
    """chromium(), and at the end: no script error, no request to another host."""
    with chromium(width, height) as b:
        yield b
        assert b.errors == [], b.errors
        assert b.outside == [], b.outside


def open_folder(page: Any, account: str, folder: str) -> None:
    """Clicks a folder in the tree and waits for its list."""
    page.click(f'#tree button[data-account="{account}"][data-folder="{folder}"]')
    title = f"{folder} — {account}"
    wait_until(page, "t => document.querySelector('#messages').dataset.shown === t", title)
