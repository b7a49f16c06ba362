"""HTTP logins: the login route and its cookies, CSRF on every change, logout,
basic auth and bearer tokens, each user restricted to their own account on
every route, and test mode on loopback only. Real clients (urllib,
websocket-client, smtplib) against a running server."""

from __future__ import annotations

import json
import smtplib
import ssl
import threading
import time
import warnings
from collections.abc import Iterator

import pytest

import mailroom

from .conftest import require_module
from .login_client import BOB, DELAY, EVE, TOKEN, USERS, Browser, basic, deliver


@pytest.fixture
def server() -> Iterator[mailroom.Server]:
    with mailroom.Server(
        http_port=0, users=USERS, http_tokens={TOKEN: EVE}, auth_failure_delay=DELAY
    ) as s:
        deliver(s, BOB, "for bob")
        deliver(s, EVE, "for eve")
        yield s


def test_login_sets_the_session_cookies(server: mailroom.Server) -> None:
    b = Browser(server.http_url)
    assert b.call("GET", "/api/mailroom/me").json() == {
        "User": None,
        "TestMode": False,
        "CSRF": None,
    }
    r = b.login("bob@EXAMPLE.test", USERS[BOB])
    assert r.status == 200 and r.json()["User"] == BOB
    session = next(c for c in r.cookies if c.startswith("mailroom_session="))
    csrf = next(c for c in r.cookies if c.startswith("mailroom_csrf="))
    flags = [f.strip() for f in session.split(";")[1:]]
    assert "HttpOnly" in flags and "SameSite=Strict" in flags and "Path=/" in flags
    assert "Secure" not in flags  # plain HTTP
    assert "HttpOnly" not in csrf and "SameSite=Strict" in csrf  # readable by the page's script
    # 128 random bits, hex
    assert len(b.jar["mailroom_session"]) == 32 and int(b.jar["mailroom_session"], 16) >= 0
    assert b.jar["mailroom_session"] != b.jar["mailroom_csrf"]
    me = b.call("GET", "/api/mailroom/me").json()
    assert me == {"User": BOB, "TestMode": False, "CSRF": b.jar["mailroom_csrf"]}
    assert r.json()["CSRF"] == me["CSRF"]
    subjects = [m["Subject"] for m in b.call("GET", "/api/v1/messages").json()["messages"]]
    assert subjects == ["for bob"]
    # Another login is another session.
    other = Browser(server.http_url)
    other.login(BOB, USERS[BOB])
    assert other.jar["mailroom_session"] != b.jar["mailroom_session"]


def test_a_wrong_password_is_answered_401_after_the_delay(server: mailroom.Server) -> None:
    b = Browser(server.http_url)
    done: list[float] = []

    def wrong() -> None:
        start = time.monotonic()
        r = b.login(BOB, "wrong")
        assert r.status == 401 and "Error" in r.json()
        assert "mailroom_session" not in b.jar
        done.append(time.monotonic() - start)

    t = threading.Thread(target=wrong)
    t.start()
    # The wait holds no network thread: others are served meanwhile.
    time.sleep(0.05)
    assert Browser(server.http_url).call("GET", "/livez").status == 200
    served_before_the_answer = not done
    t.join()
    assert served_before_the_answer
    assert done[0] >= DELAY * 0.9
    assert b.login("nobody@example.test", "x").status == 401
    for body in ({"User": BOB}, {"User": "", "Password": "x"}, {"User": 5, "Password": "x"}):
        r = b.call("POST", "/api/mailroom/login", body)
        assert r.status == 400 and ("User" in r.json()["Error"] or "Password" in r.json()["Error"])
    assert b.call("POST", "/api/mailroom/login", None).status == 400


def test_changes_need_the_csrf_token(server: mailroom.Server) -> None:
    b = Browser(server.http_url)
    b.login(BOB, USERS[BOB])
    for headers in ({}, {"X-CSRF-Token": "0" * 32}, {"X-CSRF-Token": ""}):
        r = b.call("DELETE", "/api/v1/messages", {}, headers=headers, csrf=False)
        assert r.status == 403 and "X-CSRF-Token" in r.json()["Error"]
        r = b.call("PUT", "/api/v1/messages", {"Read": True}, headers=headers, csrf=False)
        assert r.status == 403
    # The token of another session is not this one's.
    other = Browser(server.http_url)
    other.login(BOB, USERS[BOB])
    r = b.call(
        "DELETE", "/api/v1/messages", {}, headers={"X-CSRF-Token": other.jar["mailroom_csrf"]}
    )
    assert r.status == 403
    # Nothing changed.
    listed = b.call("GET", "/api/v1/messages").json()
    assert listed["total"] == 1 and listed["unread"] == 1
    # From another site: refused even with the token.
    for headers in (
        {"Origin": "http://evil.example"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Origin": "null"},
    ):
        r = b.call("PUT", "/api/v1/messages", {"Read": True}, headers=headers)
        assert r.status == 403 and "own pages" in r.json()["Error"]
    host = server.http_url.split("//")[1]
    r = b.call(
        "PUT",
        "/api/v1/messages",
        {"Read": True},
        headers={"Origin": f"http://{host}", "Sec-Fetch-Site": "same-origin"},
    )
    assert r.status == 200
    assert b.call("GET", "/api/v1/messages").json()["unread"] == 0


def test_logout_ends_the_session(server: mailroom.Server) -> None:
    b = Browser(server.http_url)
    b.login(BOB, USERS[BOB])
    session = b.jar["mailroom_session"]
    assert b.call("POST", "/api/mailroom/logout", csrf=False).status == 403  # a change too
    r = b.call("POST", "/api/mailroom/logout")
    assert r.status == 200 and b.jar == {}
    assert all("Max-Age=0" in c for c in r.cookies) and len(r.cookies) == 2
    r = b.call("GET", "/api/v1/messages", headers={"Cookie": f"mailroom_session={session}"})
    assert r.status == 401 and "ended" in r.json()["Error"]


def test_without_a_login_api_is_401_and_pages_go_to_the_login_page(
    server: mailroom.Server,
) -> None:
    b = Browser(server.http_url)
    for path in (
        "/api/v1/messages",
        "/api/v1/info",
        "/api/mailroom/accounts",
        "/api/v1/message/latest",
    ):
        r = b.call("GET", path)
        assert r.status == 401 and "log in" in r.json()["Error"]
        assert r.headers["WWW-Authenticate"].startswith("Basic ")
    # A browser's fetch is not offered Basic (its dialog would hide the login page).
    r = b.call("GET", "/api/v1/messages", headers={"Sec-Fetch-Mode": "cors"})
    assert r.status == 401 and r.headers["WWW-Authenticate"].startswith("Bearer")
    assert b.call("DELETE", "/api/v1/messages", {}).status == 401
    for path, target in (("/", "%2F"), ("/view/x.html", "%2Fview%2Fx.html")):
        r = b.call("GET", path)
        assert r.status == 302 and r.headers["Location"] == "/login?next=" + target.replace(
            "%2F", "/"
        )
    r = b.call("GET", "/login?next=/")
    assert r.status == 200 and b'id="login"' in r.body
    assert r.headers["Content-Type"].startswith("text/html")
    assert b.call("GET", "/web/login.js").status == 200
    assert b.call("GET", "/livez").status == 200
    assert b.call("GET", "/api/openapi.json").status == 200
    r = b.call("GET", "/api/v1/messages", headers={"Cookie": "mailroom_session=" + "0" * 32})
    assert r.status == 401


def test_a_user_sees_and_changes_only_their_own_mail(server: mailroom.Server) -> None:
    eve = Browser(server.http_url)
    eve.login(EVE, USERS[EVE])
    eve_id = eve.call("GET", "/api/v1/messages").json()["messages"][0]["ID"]
    b = Browser(server.http_url)
    b.login(BOB, USERS[BOB])
    bob_id = b.call("GET", "/api/v1/messages").json()["messages"][0]["ID"]

    def subjects(path: str) -> list[str]:
        return [m["Subject"] for m in b.call("GET", path).json()["messages"]]

    assert subjects("/api/v1/messages") == ["for bob"]
    assert subjects("/api/v1/search?query=for") == ["for bob"]
    assert b.call("GET", "/api/v1/info").json()["Messages"] == 1
    assert b.call("GET", "/api/v1/message/latest").json()["ID"] == bob_id
    for path in (
        f"/api/v1/message/{eve_id}",
        f"/api/v1/message/{eve_id}/headers",
        f"/api/v1/message/{eve_id}/raw",
        f"/api/v1/message/{eve_id}/part/1",
        f"/view/{eve_id}.txt",
        f"/view/{eve_id}.html",
        f"/api/mailroom/message/{eve_id}",
        f"/api/mailroom/message/{eve_id}/links",
        f"/api/mailroom/message/{eve_id}/codes",
    ):
        r = b.call("GET", path)
        assert r.status == 404, path
        assert b"for eve" not in r.body and b"424242" not in r.body
    assert b.call("GET", f"/api/mailroom/message/{bob_id}/codes").json()["Codes"] == ["424242"]
    assert b.call("GET", "/api/mailroom/accounts").json()["Accounts"] == [
        {"Address": BOB, "Messages": 1, "Unread": 0}  # latest was read
    ]
    for path in (f"/api/mailroom/folders?account={EVE}", f"/api/mailroom/messages?account={EVE}"):
        r = b.call("GET", path)
        assert r.status == 403 and "not yours" in r.json()["Error"]
    assert b.call("GET", "/api/mailroom/messages?account=bob@EXAMPLE.TEST").status == 200
    # Changes to eve's mail are refused and change nothing.
    for method, path, body in (
        ("PUT", "/api/v1/messages", {"IDs": [eve_id], "Read": True}),
        ("DELETE", "/api/v1/messages", {"IDs": [eve_id]}),
        ("PUT", "/api/mailroom/messages", {"IDs": [eve_id], "Add": ["\\Flagged"]}),
        ("POST", "/api/mailroom/move", {"IDs": [eve_id], "To": "Archive"}),
        ("DELETE", "/api/mailroom/messages", {"IDs": [eve_id]}),
    ):
        r = b.call(method, path, body)
        assert r.status == 400 and eve_id in r.json()["Error"], path
    # All of "mine" is bob's only: reading and deleting everything spares eve.
    assert b.call("PUT", "/api/v1/messages", {"Read": True}).status == 200
    assert b.call("DELETE", "/api/v1/search?query=for").status == 200
    assert b.call("GET", "/api/v1/messages").json()["total"] == 0
    mine = eve.call("GET", "/api/mailroom/messages?account=" + EVE).json()["messages"]
    assert [(m["Subject"], m["Flags"]) for m in mine] == [("for eve", [])]
    # Sending as someone else is refused; as oneself it goes.
    r = b.call(
        "POST", "/api/v1/send", {"From": {"Email": EVE}, "To": [{"Email": BOB}], "Subject": "x"}
    )
    assert r.status == 403 and "From" in r.json()["Error"]
    r = b.call(
        "POST",
        "/api/v1/send",
        {"From": {"Email": BOB}, "To": [{"Email": EVE}], "Subject": "hi eve"},
    )
    assert r.status == 200
    assert [m["Subject"] for m in eve.call("GET", "/api/v1/messages").json()["messages"]] == [
        "hi eve",
        "for eve",
    ]
    # The long poll does not answer with another user's message.
    r = b.call("GET", "/api/mailroom/wait?subject=hi+eve&timeout=0.3")
    assert r.status == 408


def test_live_events_are_the_users_own(server: mailroom.Server) -> None:
    websocket = require_module("websocket")
    b = Browser(server.http_url)
    b.login(BOB, USERS[BOB])
    url = f"ws://{server.host}:{server.http_port}/api/events"
    with pytest.raises(websocket.WebSocketBadStatusException):
        websocket.create_connection(url, timeout=10)  # no login: 401
    ws = websocket.create_connection(
        url, timeout=10, cookie=f"mailroom_session={b.jar['mailroom_session']}"
    )
    try:
        deliver(server, EVE, "eve only")
        deliver(server, BOB, "bob again")
        first = json.loads(ws.recv())
        assert first["Type"] == "new" and first["Data"]["Subject"] == "bob again"
        stats = json.loads(ws.recv())
        assert stats["Type"] == "stats" and stats["Data"]["Total"] == 2
    finally:
        ws.close()
    # From a page elsewhere, the browser's cookie does not open it.
    with pytest.raises(websocket.WebSocketBadStatusException):
        websocket.create_connection(
            url,
            timeout=10,
            cookie=f"mailroom_session={b.jar['mailroom_session']}",
            origin="http://evil.example",
        )


def test_basic_auth_and_bearer_tokens(server: mailroom.Server) -> None:
    c = Browser(server.http_url)
    r = c.call("GET", "/api/v1/messages", headers=basic(BOB, USERS[BOB]))
    assert [m["Subject"] for m in r.json()["messages"]] == ["for bob"]
    assert c.jar == {}  # no session for REST clients
    start = time.monotonic()
    r = c.call("GET", "/api/v1/messages", headers=basic(BOB, "wrong"))
    assert r.status == 401 and r.headers["WWW-Authenticate"].startswith("Basic")
    assert time.monotonic() - start >= DELAY * 0.9
    assert c.call("GET", "/api/v1/messages", headers={"Authorization": "Basic !!"}).status == 401
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    r = c.call("GET", "/api/v1/messages", headers=bearer)
    assert [m["Subject"] for m in r.json()["messages"]] == ["for eve"]
    assert c.call("GET", "/api/mailroom/me", headers=bearer).json()["User"] == EVE
    assert (
        c.call("GET", "/api/v1/messages", headers={"Authorization": "Bearer nope" * 3}).status
        == 401
    )
    # No CSRF token needed: a page elsewhere cannot send these headers with
    # the user's credentials.
    assert c.call("DELETE", "/api/v1/messages", {}, headers=bearer).status == 200
    assert c.call("GET", "/api/v1/messages", headers=bearer).json()["total"] == 0
    assert c.call("GET", "/api/v1/messages", headers=basic(BOB, USERS[BOB])).json()["total"] == 1


def test_http_tokens_are_checked() -> None:
    with pytest.raises(ValueError, match="at least 16"):
        mailroom.Server(http_port=0, users=USERS, http_tokens={"short": BOB})
    with pytest.raises(TypeError):
        mailroom.Server(http_port=0, users=USERS, http_tokens={TOKEN: 5})  # type: ignore[dict-item]


def test_a_password_callable_is_asked_off_the_network_threads() -> None:
    asked: list[str] = []

    def check(user: str, password: str) -> bool:
        asked.append(threading.current_thread().name)
        return password == "right"

    with mailroom.Server(http_port=0, users=check, auth_failure_delay=0) as s:
        deliver(s, BOB, "for bob")
        b = Browser(s.http_url)
        assert b.login(BOB, "wrong").status == 401
        assert b.login(BOB, "right").status == 200
        assert b.call("GET", "/api/v1/messages").json()["total"] == 1
        r = b.call("GET", "/api/v1/messages", headers=basic(BOB, "right"))
        assert r.json()["total"] == 1
        assert b.call("GET", "/api/v1/messages", headers=basic(BOB, "no")).status == 401
    assert len(asked) == 4


def test_cookies_are_secure_under_https() -> None:
    with mailroom.Server(https_port=0, tls="auto", users=USERS) as s:
        assert s.tls_ca_file is not None
        context = ssl.create_default_context(cafile=s.tls_ca_file)
        b = Browser(f"https://localhost:{s.https_port}", context)
        r = b.login(BOB, USERS[BOB])
        assert r.status == 200 and len(r.cookies) == 2
        assert all("; Secure" in c for c in r.cookies)
        assert b.call("GET", "/api/mailroom/me").json()["User"] == BOB


def test_test_mode_shows_everything_on_loopback_only() -> None:
    with mailroom.Server(http_port=0) as s:
        deliver(s, BOB, "for bob")
        deliver(s, EVE, "for eve")
        b = Browser(s.http_url)
        assert b.call("GET", "/api/mailroom/me").json() == {
            "User": None,
            "TestMode": True,
            "CSRF": None,
        }
        assert b.call("GET", "/api/v1/messages").json()["total"] == 2
        r = b.login(BOB, "anything")
        assert r.status == 400 and "test mode" in r.json()["Error"]
        # Changes from another site are refused in test mode too.
        r = b.call("DELETE", "/api/v1/messages", {}, headers={"Origin": "http://evil.example"})
        assert r.status == 403
        assert b.call("GET", "/api/v1/messages").json()["total"] == 2
    with pytest.raises(ValueError, match="loopback"):
        mailroom.Server(host="0.0.0.0", http_port=0).start()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        s = mailroom.Server(host="0.0.0.0", http_port=0, public_http=True)
    assert any("every mailbox" in str(w.message) for w in caught)
    with s:
        assert s.http_port
    # With accounts no warning, and any host.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with mailroom.Server(host="0.0.0.0", http_port=0, users=USERS) as s:
            assert s.http_port


def test_serve_offers_http_with_users_and_warns_when_public() -> None:
    from .test_cli import start_serve, stop_serve

    proc, lines = start_serve("--http-port", "0", "--user", f"{BOB}:{USERS[BOB]}")
    try:
        [line] = [line for line in lines if "HTTP on http://" in line]
        url = line.split("HTTP on ")[1].split(",")[0]
        b = Browser(url)
        assert b.call("GET", "/api/v1/info").status == 401
        assert b.login(BOB, USERS[BOB]).status == 200
    finally:
        stop_serve(proc)
    proc, lines = start_serve("--host", "0.0.0.0", "--http-port", "0", "--public-http")
    try:
        assert any("HTTP on http://" in line for line in lines)
    finally:
        _, err = stop_serve(proc)
    assert "--public-http without --user" in err


def test_the_reader_and_compose_routes_are_the_users_own(server: mailroom.Server) -> None:
    eve = Browser(server.http_url)
    eve.login(EVE, USERS[EVE])
    eve_id = eve.call("GET", "/api/v1/messages").json()["messages"][0]["ID"]
    b = Browser(server.http_url)
    b.login(BOB, USERS[BOB])
    bob_id = b.call("GET", "/api/v1/messages").json()["messages"][0]["ID"]
    for path in (
        "/html",
        "/reply?mode=reply",
        "/structure",
        "/part/1",
        "/transcript",
    ):
        r = b.call("GET", f"/api/mailroom/message/{eve_id}{path}")
        assert r.status == 404, path
        assert b"for eve" not in r.body and b"424242" not in r.body
    assert b.call("GET", f"/api/mailroom/message/{bob_id}/structure").status == 200
    assert b.call("GET", f"/api/mailroom/message/{bob_id}/transcript").status == 200
    # Compose only as oneself; a reply or a draft of someone else's is not found.
    new = {"From": EVE, "To": [BOB], "Subject": "as eve", "Text": "x"}
    r = b.call("POST", "/api/mailroom/compose", new)
    assert r.status == 403 and "From" in r.json()["Error"]
    for extra in ({"ReplyTo": eve_id, "Mode": "reply"}, {"DraftID": eve_id}):
        body = {"From": BOB, "To": [EVE], "Subject": "re", "Text": "x", **extra}
        r = b.call("POST", "/api/mailroom/compose", body)
        assert r.status == 400 and eve_id in r.json()["Error"]
    r = b.call(
        "POST", "/api/mailroom/compose", {"From": BOB, "To": [EVE], "Subject": "hi", "Text": "x"}
    )
    assert r.status == 200 and r.json()["Delivered"] == [EVE]
    assert (
        b.call("POST", "/api/mailroom/compose", {"From": BOB, "To": [EVE]}, csrf=False).status
        == 403
    )
    sent = b.call("GET", f"/api/mailroom/messages?account={BOB}&folder=Sent").json()["messages"]
    assert [m["Subject"] for m in sent] == ["hi"]
    assert b.call("GET", f"/api/mailroom/messages?account={EVE}&folder=Sent").status == 403


def test_a_users_transcript_hides_the_other_recipients(server: mailroom.Server) -> None:
    # One SMTP session delivers to Bob and Eve (Eve as a Bcc): Bob's copy's
    # transcript shows his RCPT TO, not hers; test mode would show both.
    with smtplib.SMTP(*server.smtp_address) as c:
        c.sendmail(
            "alice@example.test",
            [BOB, EVE],
            f"From: alice@example.test\r\nTo: {BOB}\r\nSubject: both\r\n\r\nhi\r\n",
        )
    b = Browser(server.http_url)
    auth = basic(BOB, USERS[BOB])
    found = b.call("GET", "/api/v1/search?query=subject:both", headers=auth).json()
    [summary] = found["messages"]
    r = b.call("GET", f"/api/mailroom/message/{summary['ID']}/transcript", headers=auth)
    assert r.status == 200
    said = [line["Text"] for line in r.json()["Lines"] if line["Direction"] == "C"]
    assert f"rcpt to:<{BOB}>" in [line.lower() for line in said]  # smtplib writes "rcpt TO:"
    assert "RCPT TO:<hidden>" in said
    assert not any(EVE in line for line in said)
