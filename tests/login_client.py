"""HTTP clients for the login tests: one that keeps the server's cookies as
a browser would (urllib, no redirects followed), the test accounts, and
delivery over SMTP."""

from __future__ import annotations

import base64
import json
import smtplib
import ssl
import urllib.error
import urllib.request
from typing import Any

import mailroom

BOB, EVE = "bob@example.test", "eve@example.test"
USERS = {BOB: "bob-secret", EVE: "eve-secret"}
TOKEN = "eve-token-0123456789abcdef"
DELAY = 0.4


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Reply:
    def __init__(self, status: int, headers: Any, body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    def json(self) -> Any:
        assert self.headers["Content-Type"] == "application/json"
        return json.loads(self.body)

    @property
    def cookies(self) -> list[str]:
        return list(self.headers.get_all("Set-Cookie") or [])


class Browser:
    """An HTTP client that keeps the server's cookies, as a browser would."""

    def __init__(self, base: str, context: ssl.SSLContext | None = None) -> None:
        self.base = base
        self.jar: dict[str, str] = {}
        handlers: list[Any] = [NoRedirect()]
        if context is not None:
            handlers.append(urllib.request.HTTPSHandler(context=context))
        self.opener = urllib.request.build_opener(*handlers)

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        csrf: bool = True,
    ) -> Reply:
        h = dict(headers or {})
        if self.jar:
            h.setdefault("Cookie", "; ".join(f"{k}={v}" for k, v in self.jar.items()))
        if csrf and method not in ("GET", "HEAD") and "mailroom_csrf" in self.jar:
            h.setdefault("X-CSRF-Token", self.jar["mailroom_csrf"])
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=h)
        try:
            with self.opener.open(req, timeout=10) as r:
                reply = Reply(r.status, r.headers, r.read())
        except urllib.error.HTTPError as e:
            reply = Reply(e.code, e.headers, e.read())
        for cookie in reply.cookies:
            name, _, rest = cookie.partition("=")
            value = rest.split(";")[0]
            if "Max-Age=0" in cookie:
                self.jar.pop(name, None)
            else:
                self.jar[name] = value
        return reply

    def login(self, user: str, password: str) -> Reply:
        return self.call("POST", "/api/mailroom/login", {"User": user, "Password": password})


def deliver(s: mailroom.Server, to: str, subject: str) -> None:
    with smtplib.SMTP(*s.smtp_address) as c:
        c.sendmail(
            "alice@example.test",
            [to],
            f"From: Alice <alice@example.test>\r\nTo: {to}\r\nSubject: {subject}\r\n"
            f"Message-ID: <{subject.replace(' ', '.')}@example.test>\r\n\r\n"
            f"Open https://example.test/{subject.replace(' ', '-')} code 424242\r\n",
        )


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def get(b: Browser, path: str, headers: dict[str, str]) -> tuple[int, Any]:
    """GET with `headers`: the status and the JSON body."""
    r = b.call("GET", path, headers=headers)
    return r.status, r.json()
