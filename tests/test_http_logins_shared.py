"""HTTP logins on a server with both an HTTP and an HTTPS listener: one table
of sessions for both (a login on either is known on the other, a logout on
either ends it on both), Secure cookies that a real client keeps off plain
HTTP (curl, like Chromium, sends them to http://localhost, where they cross
no network, and the server honours them there), and a Secure session's
cookie sent over plain HTTP from another address ending that session.
Real clients: urllib with the standard library's cookie
jar (RFC 6265's rules: Secure cookies only over TLS, ports not told apart),
curl, smtplib."""

from __future__ import annotations

import http.cookiejar
import json
import socket
import ssl
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

import mailroom

from .conftest import require_program
from .login_client import BOB, EVE, TOKEN, USERS, Browser, basic, deliver, get


class CookieClient:
    """urllib with a cookie jar: the cookies go where the jar's rules send them."""

    def __init__(self, context: ssl.SSLContext) -> None:
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar),
            urllib.request.HTTPSHandler(context=context),
        )

    def cookie(self, name: str) -> str | None:
        return next((c.value for c in self.jar if c.name == name), None)

    def call(
        self, method: str, url: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any, list[str]]:
        h = dict(headers or {})
        csrf = self.cookie("mailroom_csrf")
        if csrf and method not in ("GET", "HEAD"):
            h.setdefault("X-CSRF-Token", csrf)
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(url, data=data, method=method, headers=h)
        try:
            with self.opener.open(req, timeout=10) as r:
                status, headers_in, raw = r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            status, headers_in, raw = e.code, e.headers, e.read()
        json_body = headers_in.get("Content-Type") == "application/json"
        body_out = json.loads(raw) if json_body else raw.decode()
        return status, body_out, list(headers_in.get_all("Set-Cookie") or [])

    def login(self, base: str) -> tuple[int, Any, list[str]]:
        return self.call(
            "POST", base + "/api/mailroom/login", {"User": BOB, "Password": USERS[BOB]}
        )


def outside_address() -> str | None:
    """This host's address on its default route (not loopback), if any."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # no packet is sent
        except OSError:
            return None
        ip = str(s.getsockname()[0])
    return None if ip.startswith("127.") else ip


@pytest.fixture
def both() -> Iterator[mailroom.Server]:
    # On every address: plain HTTP from this host's other address is a
    # client that is not on loopback.
    with mailroom.Server(
        host="0.0.0.0", http_port=0, https_port=0, tls="auto", users=USERS,
        http_tokens={TOKEN: EVE},
    ) as s:  # fmt: skip
        deliver(s, BOB, "for bob")
        deliver(s, EVE, "for eve")
        yield s


def urls(s: mailroom.Server) -> tuple[str, str]:
    return f"http://localhost:{s.http_port}", f"https://localhost:{s.https_port}"


def context_of(s: mailroom.Server) -> ssl.SSLContext:
    assert s.tls_ca_file is not None
    return ssl.create_default_context(cafile=s.tls_ca_file)


@pytest.fixture
def c(both: mailroom.Server) -> CookieClient:
    return CookieClient(context_of(both))


def test_a_login_over_http_is_known_over_https_and_a_logout_ends_it_on_both(
    both: mailroom.Server, c: CookieClient
) -> None:
    plain, secure = urls(both)
    status, body, cookies = c.login(plain)
    assert status == 200 and body["User"] == BOB
    assert len(cookies) == 2 and not any("Secure" in x for x in cookies)
    session = c.cookie("mailroom_session")
    assert session
    # The same session over HTTPS: who, the list, and a change with the CSRF token.
    assert c.call("GET", secure + "/api/mailroom/me")[1]["User"] == BOB
    status, listing, _ = c.call("GET", secure + "/api/v1/messages")
    assert status == 200 and [m["Subject"] for m in listing["messages"]] == ["for bob"]
    [bob_id] = [m["ID"] for m in listing["messages"]]
    assert c.call("PUT", secure + "/api/v1/messages", {"IDs": [bob_id], "Read": True})[0] == 200
    assert c.call("GET", plain + "/api/v1/messages")[1]["unread"] == 0
    # A logout over HTTPS ends it for HTTP too.
    status, _, cookies = c.call("POST", secure + "/api/mailroom/logout")
    assert status == 200 and all("Max-Age=0" in x for x in cookies)
    old = {"Cookie": f"mailroom_session={session}"}
    for base in (plain, secure):
        status, body = get(Browser(base, context_of(both)), "/api/v1/info", old)
        assert status == 401 and "has ended" in body["Error"], base


def test_a_login_over_https_is_secure_and_not_honoured_over_plain_http_from_elsewhere(
    both: mailroom.Server, c: CookieClient
) -> None:
    plain, secure = urls(both)
    status, _, cookies = c.login(secure)
    assert status == 200 and len(cookies) == 2 and all("; Secure" in x for x in cookies)
    assert c.call("GET", secure + "/api/mailroom/me")[1]["User"] == BOB
    # The client keeps the Secure cookie off plain HTTP: no session there.
    status, body, _ = c.call("GET", plain + "/api/v1/messages")
    assert status == 401 and "log in first" in body["Error"]
    assert c.call("GET", plain + "/api/mailroom/me")[1]["User"] is None
    session = c.cookie("mailroom_session")
    cookie = {"Cookie": f"mailroom_session={session}"}
    # Over plain HTTP from this host (loopback) the id crossed no network.
    assert get(Browser(plain), "/api/v1/messages", cookie)[1]["total"] == 1
    # Basic auth and tokens carry no session: both listeners take them.
    for base in (plain, secure):
        b = Browser(base, context_of(both))
        assert get(b, "/api/v1/messages", basic(BOB, USERS[BOB]))[1]["total"] == 1
        bearer = {"Authorization": f"Bearer {TOKEN}"}
        assert get(b, "/api/mailroom/me", bearer)[1]["User"] == EVE
    # From another address its id crossed the network in clear: it ends.
    outside = outside_address()
    if outside is None:
        pytest.skip("this host has no address but loopback")
    leaked = Browser(f"http://{outside}:{both.http_port}")
    status, body = get(leaked, "/api/v1/messages", cookie)
    assert status == 401 and "over HTTPS" in body["Error"]
    status, body, _ = c.call("GET", secure + "/api/v1/messages")
    assert status == 401 and "has ended" in body["Error"]


def test_curl_uses_the_https_login_over_http_to_localhost(
    both: mailroom.Server, tmp_path: Any
) -> None:
    curl = require_program("curl")
    plain, secure = urls(both)
    assert both.tls_ca_file is not None
    jar = str(tmp_path / "cookies.txt")

    def run(*args: str) -> tuple[int, Any]:
        done = subprocess.run(
            [curl, "-sS", "--cacert", both.tls_ca_file, "-b", jar, "-c", jar,
             "-w", "\n%{http_code}", *args],
            capture_output=True, text=True, timeout=30, check=True,
        )  # fmt: skip
        body, _, code = done.stdout.rpartition("\n")
        return int(code), json.loads(body)

    login = json.dumps({"User": BOB, "Password": USERS[BOB]})
    code, body = run("-H", "Content-Type: application/json", "-d", login,
                     secure + "/api/mailroom/login")  # fmt: skip
    assert code == 200 and body["User"] == BOB
    code, body = run(secure + "/api/v1/messages?limit=50")
    assert code == 200 and body["total"] == 1
    # curl sends Secure cookies to http://localhost (a host it trusts as
    # local, as Chromium does), and the server takes them from loopback.
    code, body = run(plain + "/api/v1/messages?limit=50")
    assert code == 200 and body["total"] == 1
    code, body = run(secure + "/api/mailroom/me")
    assert code == 200 and body["User"] == BOB
