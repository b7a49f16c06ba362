"""GET /api/mailroom/message/{ID}/transcript with real clients against a
running server: the SMTP session that delivered a message (smtplib), as a
real HTTP client (urllib) reads it; 404 when the server no longer keeps it
or the message did not come by SMTP."""

from __future__ import annotations

import json
import smtplib
import time
from typing import Any

import pytest

import mailroom

from .test_http_api import call, get

PASSWORD = "pw-that-must-not-show"


@pytest.fixture
def server() -> Any:
    with mailroom.Server(http_port=0) as s:
        yield s


def deliver(s: mailroom.Server, subject: str) -> str:
    with smtplib.SMTP(*s.smtp_address) as c:
        c.ehlo("client.example")
        c.sendmail("alice@example.test", ["bob@example.test"], f"Subject: {subject}\r\n\r\nhi\r\n")
    s.wait_for(to="bob@example.test", subject=subject)
    [m] = [m for m in get(s, "/api/v1/messages")["messages"] if m["Subject"] == subject]
    return str(m["ID"])


def transcript(s: mailroom.Server, mid: str) -> tuple[int, Any]:
    """The transcript route's answer once the session has ended (its
    transcript is kept when the client has gone)."""
    deadline = time.monotonic() + 10
    while True:
        status, body, headers = call(s, "GET", f"/api/mailroom/message/{mid}/transcript")
        assert headers["Content-Type"] == "application/json"
        value = json.loads(body)
        if status != 200 or value["Ended"] is not None or time.monotonic() > deadline:
            return status, value
        time.sleep(0.02)


def test_the_smtp_session_that_delivered_a_message(server: mailroom.Server) -> None:
    first = deliver(server, "one")
    second = deliver(server, "two")
    status, t = transcript(server, second)
    assert status == 200
    assert t["Protocol"] == "smtp"
    assert t["Peer"].startswith("127.0.0.1:")
    assert t["Started"].endswith("Z") and t["Ended"] >= t["Started"]
    assert t["Truncated"] is False
    said = [(line["Direction"], line["Text"]) for line in t["Lines"]]
    assert said[0][0] == "S" and said[0][1].startswith("220 ")
    assert ("C", "ehlo client.example") in said  # as smtplib writes it
    assert ("C", "mail FROM:<alice@example.test> size=20") in said  # "Subject: two..."
    assert ("C", "rcpt TO:<bob@example.test>") in said
    assert ("C", "data") in said
    assert said[-2][0] == "C" and said[-2][1].lower() == "quit"
    assert said[-1][0] == "S" and said[-1][1].startswith("221 ")
    # Each message names its own session, as Server.sessions lists them.
    _, t1 = transcript(server, first)
    assert t1["Started"] <= t["Started"]
    assert [s.transcript for s in server.sessions if s.protocol == "smtp"] == [
        "".join(f"{line['Direction']}: {line['Text']}\n" for line in x["Lines"]) for x in (t1, t)
    ]


def test_passwords_stay_masked() -> None:
    # Submission asks for AUTH; test mode takes any password.
    with mailroom.Server(http_port=0, submission_port=0) as s:
        assert s.submission_port
        with smtplib.SMTP(s.host, s.submission_port) as c:
            c.login("alice@example.test", PASSWORD)
            c.sendmail("alice@example.test", ["alice@example.test"], b"Subject: m\r\n\r\nhi\r\n")
        s.wait_for(to="alice@example.test")
        mid = get(s, "/api/v1/messages")["messages"][0]["ID"]
        status, t = transcript(s, mid)
        assert status == 200
        texts = [line["Text"] for line in t["Lines"]]
        assert "AUTH PLAIN <hidden>" in texts
        assert not any(PASSWORD in text for text in texts)
        joined = json.dumps(t)
        assert PASSWORD not in joined
        assert "cHctdGhhdC1tdXN0LW5vdC1zaG93" not in joined  # nor its base64


def test_no_transcript_once_the_server_dropped_the_session() -> None:
    with mailroom.Server(http_port=0, max_sessions=1) as s:
        mid = deliver(s, "old")
        deliver(s, "new")  # its session pushes the first one out
        status, body, _ = call(s, "GET", f"/api/mailroom/message/{mid}/transcript")
        assert status == 404
        assert "no longer keeps" in json.loads(body)["Error"]


def test_no_transcript_for_mail_that_did_not_come_by_smtp(server: mailroom.Server) -> None:
    composed = {"From": "bob@example.test", "To": ["carol@example.test"], "Subject": "c",
                "Text": "hi"}  # fmt: skip
    status, body, _ = call(server, "POST", "/api/mailroom/compose", composed)
    assert status == 200
    sent = json.loads(body)["ID"]
    [delivered] = get(server, "/api/v1/messages")["messages"]
    for mid in (sent, delivered["ID"]):
        status, body, _ = call(server, "GET", f"/api/mailroom/message/{mid}/transcript")
        assert status == 404
        assert "did not come by SMTP" in json.loads(body)["Error"]
    status, body, _ = call(server, "GET", "/api/mailroom/message/nothing/transcript")
    assert status == 404 and "nothing" in json.loads(body)["Error"]
