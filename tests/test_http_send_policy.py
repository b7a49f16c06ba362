"""Sending over HTTP (Mailpit's POST /api/v1/send, the web client's POST
/api/mailroom/compose) under the recipient policy SMTP's RCPT applies:
recipients of no local domain with no route are refused by name and nothing
is sent; routed ones go through the outgoing queue to a real next hop (a
second mailroom), local ones are delivered, and the sender keeps a Sent
copy."""

from __future__ import annotations

import base64
import smtplib
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

import mailroom

from .test_http_server_routes import call

ALICE, PASSWORD = "alice@example.test", "s3cret-pass"


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def accounts(s: mailroom.Server, **headers: str) -> list[str]:
    status, out = call(s, "GET", "/api/mailroom/accounts", **headers)
    assert status == 200, out
    return sorted(a["Address"] for a in out["Accounts"])


@pytest.mark.parametrize("users", [None, {ALICE: PASSWORD}])
def test_http_sending_refuses_the_recipients_smtp_refuses(users: Any) -> None:
    auth = basic(ALICE, PASSWORD) if users else {}
    with mailroom.Server(http_port=0, domains=["example.test"], users=users) as s:
        # What SMTP says to the same recipient.
        with smtplib.SMTP(*s.smtp_address) as c:
            c.ehlo()
            if users:
                c.login(ALICE, PASSWORD)
            c.mail(ALICE)
            code, text = c.rcpt("x@elsewhere.test")
            assert (code, text[:5]) == (550, b"5.7.1"), (code, text)
        before = accounts(s, **auth)
        send = {
            "From": {"Email": ALICE},
            "To": [{"Email": "bob@example.test"}, {"Email": "x@elsewhere.test"}],
            "Subject": "s",
            "Text": "t",
        }
        status, error = call(s, "POST", "/api/v1/send", send, **auth)
        assert status == 400, error
        assert "x@elsewhere.test" in error["Error"] and "550 5.7.1" in error["Error"]
        compose = {"From": ALICE, "To": ["x@elsewhere.test"], "Subject": "s", "Text": "t"}
        status, error = call(s, "POST", "/api/mailroom/compose", compose, **auth)
        assert status == 400 and "x@elsewhere.test" in error["Error"], error
        # Nothing was sent or kept: no mailbox made, no Sent copy, bob got nothing.
        assert accounts(s, **auth) == before
        assert "x@elsewhere.test" not in accounts(s, **auth)
        assert s.mailbox("bob@example.test") == []
        if not users:
            assert s.mailbox("x@elsewhere.test") == []
        # A local recipient alone is delivered.
        send["To"] = [{"Email": "bob@example.test"}]
        status, out = call(s, "POST", "/api/v1/send", send, **auth)
        assert status == 200 and out["ID"] and out["Delivered"] == ["bob@example.test"], out
        assert out["Queued"] == []
        assert s.wait_for(to="bob@example.test").subject == "s"


@pytest.fixture
def hop() -> Iterator[mailroom.Server]:
    with mailroom.Server(http_port=0, domains=["b.test"]) as h:
        yield h


def test_compose_and_send_into_the_queue_reach_the_next_hop(hop: mailroom.Server) -> None:
    routes = {"b.test": f"127.0.0.1:{hop.smtp_port}"}
    with mailroom.Server(http_port=0, domains=["a.test"], routes=routes) as s:
        compose = {
            "From": "Alice <alice@a.test>",
            "To": ["Carol <carol@b.test>", "bob@a.test"],
            "Subject": "over the hop",
            "Text": "queued",
        }
        status, out = call(s, "POST", "/api/mailroom/compose", compose)
        assert status == 200, out
        assert out["Queued"] == ["carol@b.test"] and out["Delivered"] == ["bob@a.test"]
        s.queue.flush()
        got = hop.wait_for(to="carol@b.test", subject="over the hop", timeout=15)
        assert got.text.strip() == "queued" and "carol@b.test" in got["To"]
        assert s.wait_for(to="bob@a.test").subject == "over the hop"
        status, sent = call(s, "GET", "/api/mailroom/messages?account=alice@a.test&folder=Sent")
        assert status == 200, sent
        [copy] = sent["messages"]
        assert copy["ID"] == out["ID"] and copy["Subject"] == "over the hop"

        # Mailpit's send to a routed recipient only: nothing stored here, and
        # the answer says where it went instead of an unexplained empty ID.
        send = {"From": {"Email": "alice@a.test"}, "To": [{"Email": "dan@b.test"}], "Subject": "q"}
        status, out = call(s, "POST", "/api/v1/send", send)
        assert status == 200, out
        assert out == {"ID": "", "Delivered": [], "Queued": ["dan@b.test"]}
        s.queue.flush()
        assert hop.wait_for(to="dan@b.test", subject="q", timeout=15)
        assert s.mailbox("dan@b.test") == []


def test_a_public_test_mode_listener_does_not_relay(hop: mailroom.Server) -> None:
    # Test mode has no logins, so a listener made public (public_http) would let
    # anyone who reaches it send through the server's routes: there HTTP sends
    # only to local recipients, and release is off.
    routes = {"b.test": f"127.0.0.1:{hop.smtp_port}"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the public test-mode warning
        s = mailroom.Server(
            host="0.0.0.0", http_port=0, public_http=True, domains=["a.test"], routes=routes
        )
    with s:
        compose = {"From": "alice@a.test", "To": ["carol@b.test"], "Subject": "s", "Text": "t"}
        status, error = call(s, "POST", "/api/mailroom/compose", compose)
        assert status == 400 and "carol@b.test" in error["Error"], error
        assert "550 5.7.1" in error["Error"]
        compose["To"] = ["bob@a.test"]
        status, out = call(s, "POST", "/api/mailroom/compose", compose)
        assert status == 200 and out["Delivered"] == ["bob@a.test"], out
        [listed] = call(s, "GET", "/api/v1/messages")[1]["messages"]
        status, error = call(s, "POST", f"/api/v1/message/{listed['ID']}/release",
                             {"To": ["carol@b.test"]})  # fmt: skip
        assert status == 400 and "release is off" in error["Error"], error
        assert call(s, "GET", "/api/v1/webui")[1]["MessageRelay"]["Enabled"] is False
        assert s.queue.entries() == []
    assert hop.mailbox("carol@b.test") == []
