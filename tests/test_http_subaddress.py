"""Subaddresses (RFC 5233): bob+signup@x.test tags the message "signup", as
Mailpit does, and with ``users`` it is delivered into bob's own mailbox."""

from __future__ import annotations

import base64
import imaplib
import json
import smtplib
import urllib.parse
import urllib.request
from typing import Any

import mailroom


def get(s: mailroom.Server, path: str, auth: str | None = None) -> Any:
    req = urllib.request.Request(s.http_url + path)
    if auth:
        req.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r)


def send(s: mailroom.Server, rcpts: list[str], headers: str, subject: str) -> None:
    with smtplib.SMTP(*s.smtp_address) as c:
        c.sendmail(
            "alice@example.test",
            rcpts,
            f"From: alice@example.test\r\n{headers}Subject: {subject}\r\n\r\nHi\r\n",
        )


def test_subaddresses_in_to_and_cc_are_tags() -> None:
    with mailroom.Server(http_port=0) as s:
        send(
            s,
            ["bob+signup@example.test"],
            "To: Bob <bob+signup@example.test>\r\n"
            "Cc: carol+News_2026@example.test, dave@example.test\r\n"
            "X-Tags: first\r\n",
            "tagged",
        )
        send(s, ["bob@example.test"], "To: bob@example.test\r\n", "plain")
        send(s, ["eve+@example.test"], "To: eve+@example.test\r\n", "empty detail")
        listed = {m["Subject"]: m["Tags"] for m in get(s, "/api/v1/messages")["messages"]}
        assert listed == {
            "tagged": ["first", "signup", "News_2026"],
            "plain": [],
            "empty detail": [],
        }
        found = get(s, "/api/v1/search?query=" + urllib.parse.quote("tag:signup"))
        assert [m["Subject"] for m in found["messages"]] == ["tagged"]
        assert {"first", "signup", "News_2026"} <= set(get(s, "/api/v1/tags"))
        [m] = [m for m in get(s, "/api/v1/messages")["messages"] if m["Subject"] == "tagged"]
        assert get(s, f"/api/v1/message/{m['ID']}")["Tags"] == ["first", "signup", "News_2026"]


def test_with_users_a_subaddress_is_delivered_to_the_user() -> None:
    users = {"bob@example.test": "secret"}
    with mailroom.Server(users=users, domains=["example.test"], http_port=0, imap_port=0) as s:
        send(s, ["bob+signup@example.test"], "To: bob+signup@example.test\r\n", "sign-up mail")
        s.submit(
            b"From: alice@example.test\r\nTo: bob+alerts@example.test\r\n"
            b"Subject: alert\r\n\r\nx\r\n"
        )
        send(s, ["nobody+x@example.test"], "To: nobody+x@example.test\r\n", "not a user")
        assert "bob+signup@example.test" not in s.store.accounts()
        assert "nobody+x@example.test" in s.store.accounts()
        imap = imaplib.IMAP4(*s.imap_address)
        try:
            imap.login("bob@example.test", "secret")
            imap.select("INBOX", readonly=True)
            _, data = imap.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
            subjects = sorted(
                bytes(part[1]).decode().strip() for part in data if isinstance(part, tuple)
            )
        finally:
            imap.logout()
        assert subjects == ["Subject: alert", "Subject: sign-up mail"]
        listed = get(s, "/api/v1/messages", auth="bob@example.test:secret")
        assert {m["Subject"]: m["Tags"] for m in listed["messages"]} == {
            "sign-up mail": ["signup"],
            "alert": ["alerts"],
        }
