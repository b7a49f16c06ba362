"""The HTTP routes over more than one message or beyond the store: Mailpit's
tags and release, and mailroom's outgoing queue and session transcripts,
with urllib against running servers (a second mailroom as the next hop)."""

from __future__ import annotations

import json
import smtplib
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

import mailroom


def call(
    s: mailroom.Server, method: str, path: str, body: Any = None, **headers: str
) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(s.http_url + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            raw = r.read()
            status = r.status
            ctype = r.headers["Content-Type"]
    except urllib.error.HTTPError as e:
        raw, status, ctype = e.read(), e.code, e.headers["Content-Type"]
    return status, json.loads(raw) if ctype == "application/json" else raw.decode()


def send(s: mailroom.Server, to: str, subject: str, extra: str = "") -> None:
    with smtplib.SMTP(*s.smtp_address) as c:
        c.sendmail(
            "alice@a.test", [to],
            f"From: alice@a.test\r\nTo: {to}\r\nSubject: {subject}\r\n{extra}\r\nhi\r\n",
        )  # fmt: skip


def submit(s: mailroom.Server, sender: str, to: list[str], subject: str) -> None:
    s.submit(f"From: {sender}\r\nSubject: {subject}\r\n\r\nx\r\n".encode(), sender, to)


def tags_of(s: mailroom.Server) -> dict[str, list[str]]:
    return {m["Subject"]: m["Tags"] for m in call(s, "GET", "/api/v1/messages")[1]["messages"]}


@pytest.fixture
def hop() -> Iterator[mailroom.Server]:
    with mailroom.Server(http_port=0, transcripts=False) as b:
        yield b


def test_tags_are_set_renamed_and_deleted() -> None:
    with mailroom.Server(http_port=0) as s:
        send(s, "bob@a.test", "one", "X-Tags: from-header\r\n")
        send(s, "bob@a.test", "two")
        ids = {m["Subject"]: m["ID"] for m in call(s, "GET", "/api/v1/messages")[1]["messages"]}
        assert (
            call(s, "PUT", "/api/v1/tags", {"IDs": list(ids.values()), "Tags": ["red", "blue"]})[0]
            == 200
        )
        assert tags_of(s) == {"one": ["from-header", "blue", "red"], "two": ["blue", "red"]}
        assert call(s, "GET", "/api/v1/tags")[1] == ["blue", "from-header", "red"]
        # Exactly these: red goes from "two".
        assert call(s, "PUT", "/api/v1/tags", {"IDs": [ids["two"]], "Tags": ["blue"]})[0] == 200
        assert tags_of(s)["two"] == ["blue"]
        assert call(s, "PUT", "/api/v1/tags/blue", {"Name": "green"})[0] == 200
        assert tags_of(s) == {"one": ["from-header", "green", "red"], "two": ["green"]}
        assert call(s, "DELETE", "/api/v1/tags/green")[0] == 200
        assert tags_of(s) == {"one": ["from-header", "red"], "two": []}
        search = call(s, "GET", "/api/v1/search?query=tag:red")[1]
        assert [m["Subject"] for m in search["messages"]] == ["one"]
        # Bad input names the field and changes nothing.
        for body, field in (
            ({"IDs": [ids["one"]], "Tags": ["two words"]}, "Tags"),
            ({"IDs": [ids["one"]], "Tags": ["\\Seen"]}, "Tags"),
            ({"IDs": [ids["one"]]}, "Tags"),
            ({"IDs": [], "Tags": ["x"]}, "IDs"),
            ({"IDs": ["nope"], "Tags": ["x"]}, "IDs"),
        ):
            status, error = call(s, "PUT", "/api/v1/tags", body)
            assert status == 400 and field in error["Error"], body
        status, error = call(s, "PUT", "/api/v1/tags/red", {"Name": ""})
        assert status == 400 and "Name" in error["Error"]
        assert tags_of(s) == {"one": ["from-header", "red"], "two": []}


def test_release_goes_through_the_queue(hop: mailroom.Server) -> None:
    with mailroom.Server(http_port=0) as off:
        send(off, "bob@a.test", "kept")
        status, error = call(off, "POST", "/api/v1/message/latest/release", {"To": ["x@b.test"]})
        assert status == 400 and "queue is off" in error["Error"]
    with mailroom.Server(
        http_port=0, domains=["a.test"], routes={"b.test": f"127.0.0.1:{hop.smtp_port}"}
    ) as s:
        send(s, "bob@a.test", "release me")
        mid = call(s, "GET", "/api/v1/messages")[1]["messages"][0]["ID"]
        status, error = call(s, "POST", f"/api/v1/message/{mid}/release", {"To": []})
        assert status == 400 and "To" in error["Error"]
        assert call(s, "POST", "/api/v1/message/nope/release", {"To": ["x@b.test"]})[0] == 404
        assert call(s, "POST", f"/api/v1/message/{mid}/release", {"To": ["carol@b.test"]})[0] == 200
        s.queue.flush()
        [got] = call(hop, "GET", "/api/v1/messages")[1]["messages"]
        assert got["Subject"] == "release me"
        raw = call(hop, "GET", f"/api/v1/message/{got['ID']}/raw")[1]
        assert "Return-Path: <alice@a.test>" in raw  # the original sender


def test_the_outgoing_queue_is_listed_flushed_and_emptied() -> None:
    with mailroom.Server(http_port=0) as off:
        status, error = call(off, "GET", "/api/mailroom/queue")
        assert status == 400 and "queue is off" in error["Error"]
    # The next hop refuses connections: entries wait.
    with mailroom.Server(
        http_port=0, domains=["a.test"], routes={"b.test": "127.0.0.1:9"}, clock="manual"
    ) as s:
        submit(s, "alice@a.test", ["one@b.test", "two@b.test"], "waits")
        submit(s, "alice@a.test", ["three@b.test"], "waits too")
        s.queue.flush()
        status, listed = call(s, "GET", "/api/mailroom/queue")
        assert status == 200 and listed["Total"] == 2
        first = listed["Entries"][0]
        assert first["From"] == "alice@a.test" and first["Attempts"] >= 1
        assert [r["Address"] for r in first["Recipients"]] == ["one@b.test", "two@b.test"]
        assert first["Recipients"][0]["Status"] == "pending" and first["Recipients"][0]["LastReply"]
        assert first["Size"] > 0 and first["NextAttempt"] > first["Arrived"]
        assert call(s, "POST", "/api/mailroom/queue/flush")[1] == {"Flushed": 2}
        assert call(s, "DELETE", f"/api/mailroom/queue/{first['ID']}")[0] == 200
        assert call(s, "DELETE", f"/api/mailroom/queue/{first['ID']}")[0] == 404
        assert [e["ID"] for e in call(s, "GET", "/api/mailroom/queue")[1]["Entries"]] == [
            listed["Entries"][1]["ID"]
        ]
        assert len(s.queue) == 1


def test_transcripts_by_protocol_and_limit() -> None:
    with mailroom.Server(http_port=0, pop3_port=0) as s:
        send(s, "bob@a.test", "one")
        send(s, "bob@a.test", "two")
        import poplib

        p = poplib.POP3(s.host, s.pop3_port)
        p.user("bob@a.test")
        p.pass_("x")
        p.quit()
        status, got = call(s, "GET", "/api/mailroom/transcripts")
        assert status == 200
        protocols = [t["Protocol"] for t in got["Transcripts"]]
        assert protocols == ["pop3", "smtp", "smtp"]  # newest first
        smtp = call(s, "GET", "/api/mailroom/transcripts?protocol=smtp&limit=1")[1]["Transcripts"]
        assert len(smtp) == 1 and "queued as" in smtp[0]["Transcript"]
        assert smtp[0]["Messages"] == 1 and smtp[0]["Ended"] >= smtp[0]["Started"] > 0
        assert smtp[0]["Peer"].startswith("127.0.0.1")
        for query in ("protocol=gopher", "limit=lots"):
            status, error = call(s, "GET", f"/api/mailroom/transcripts?{query}")
            assert status == 400 and query.split("=")[0] in error["Error"]


def test_with_users_the_server_wide_routes_are_the_users_own() -> None:
    import base64

    users = {"bob@a.test": "pw", "eve@a.test": "pw"}
    with mailroom.Server(
        http_port=0,
        users=users,
        domains=["a.test"],
        routes={"b.test": "127.0.0.1:9"},
        clock="manual",
    ) as s:
        submit(s, "eve@a.test", ["x@b.test"], "eve's")
        submit(s, "bob@a.test", ["y@b.test"], "bob's")
        send(s, "eve@a.test", "to eve")
        auth = "Basic " + base64.b64encode(b"bob@a.test:pw").decode()
        listed = call(s, "GET", "/api/mailroom/queue", Authorization=auth)[1]
        assert [e["From"] for e in listed["Entries"]] == ["bob@a.test"]
        eve_entry = [e for e in s.queue.entries() if e.sender == "eve@a.test"][0]
        assert (
            call(s, "DELETE", f"/api/mailroom/queue/{eve_entry.id}", Authorization=auth)[0] == 404
        )
        assert len(s.queue) == 2
        status, error = call(s, "GET", "/api/mailroom/transcripts", Authorization=auth)
        assert status == 403 and "test mode" in error["Error"]
        # Tags and release reach only bob's own mail.
        eve_auth = "Basic " + base64.b64encode(b"eve@a.test:pw").decode()
        eve_id = call(s, "GET", "/api/v1/messages", Authorization=eve_auth)[1]["messages"][0]["ID"]
        status, _ = call(
            s, "PUT", "/api/v1/tags", {"IDs": [eve_id], "Tags": ["x"]}, Authorization=auth
        )
        assert status == 400
        status, _ = call(
            s, "POST", f"/api/v1/message/{eve_id}/release", {"To": ["z@b.test"]}, Authorization=auth
        )
        assert status == 404
        assert (
            call(
                s,
                "PUT",
                "/api/v1/tags",
                {"IDs": [eve_id], "Tags": ["mine"]},
                Authorization=eve_auth,
            )[0]
            == 200
        )
        assert call(s, "DELETE", "/api/v1/tags/mine", Authorization=auth)[0] == 200  # none of bob's
        tags = call(s, "GET", "/api/v1/messages", Authorization=eve_auth)[1]["messages"][0]["Tags"]
        assert tags == ["mine"]


def test_reply_rules_over_http_change_how_smtp_and_imap_answer() -> None:
    import imaplib

    with mailroom.Server(http_port=0, imap_port=0) as s:
        status, rule = call(
            s, "POST", "/api/mailroom/rules",
            {"Protocol": "smtp", "Code": 550, "Text": "No such user", "Recipient": "ghost@a.test"},
        )  # fmt: skip
        assert status == 200 and rule["Stage"] == "rcpt" and rule["Times"] is None
        with smtplib.SMTP(*s.smtp_address) as c, pytest.raises(smtplib.SMTPRecipientsRefused) as e:
            c.sendmail("alice@a.test", ["ghost@a.test"], b"Subject: x\r\n\r\nx\r\n")
        assert e.value.recipients["ghost@a.test"] == (550, b"5.0.0 No such user")
        send(s, "bob@a.test", "gets through")
        status, imap_rule = call(
            s, "POST", "/api/mailroom/rules",
            {"Protocol": "imap", "Command": "select", "Status": "no",
             "Text": "[UNAVAILABLE] later", "Times": 1},
        )  # fmt: skip
        assert status == 200 and imap_rule["Command"] == "SELECT" and imap_rule["Times"] == 1
        listed = call(s, "GET", "/api/mailroom/rules")[1]["Rules"]
        assert [(r["Protocol"], r["ID"]) for r in listed] == [
            ("smtp", rule["ID"]),
            ("imap", imap_rule["ID"]),
        ]
        assert [
            r["Protocol"] for r in call(s, "GET", "/api/mailroom/rules?protocol=imap")[1]["Rules"]
        ] == ["imap"]
        with imaplib.IMAP4(s.host, s.imap_port) as m:
            m.login("bob@a.test", "x")
            typ, data = m.select("INBOX")
            assert typ == "NO" and b"UNAVAILABLE" in data[0]
            assert m.select("INBOX")[0] == "OK"  # Times: 1
        # Bad rules are refused, naming what is wrong.
        for body, words in (
            ({"Protocol": "pop3", "Code": 550}, "Protocol"),
            ({"Protocol": "smtp", "Code": 700}, "Code"),
            ({"Protocol": "smtp", "Stage": "helo", "Code": 550}, "Stage"),
            ({"Protocol": "smtp"}, "needs a code"),
            ({"Protocol": "smtp", "Code": 550, "Disconnect": True}, "disconnect"),
            (
                {
                    "Protocol": "smtp",
                    "Code": 550,
                    "Sender": "a@b",
                    "Stage": "mail",
                    "Recipient": "c@d",
                },
                "recipient",
            ),
            ({"Protocol": "imap", "Status": "MAYBE"}, "status"),
            ({"Protocol": "imap", "Status": "NO", "Times": 0}, "Times"),
            ({"Protocol": "smtp", "Code": 550, "Delay": -1}, "Delay"),
        ):
            status, error = call(s, "POST", "/api/mailroom/rules", body)
            assert status == 400 and words.lower() in error["Error"].lower(), (body, error)
        assert (
            call(s, "DELETE", "/api/mailroom/rules", {"Protocol": "smtp", "ID": rule["ID"]})[0]
            == 200
        )
        assert (
            call(s, "DELETE", "/api/mailroom/rules", {"Protocol": "smtp", "ID": rule["ID"]})[0]
            == 404
        )
        with smtplib.SMTP(*s.smtp_address) as c:
            assert c.sendmail("alice@a.test", ["ghost@a.test"], b"Subject: x\r\n\r\nx\r\n") == {}
        call(
            s,
            "POST",
            "/api/mailroom/rules",
            {"Protocol": "smtp", "Code": 451, "Sender": "*@spam.test"},
        )
        assert call(s, "DELETE", "/api/mailroom/rules")[0] == 200
        assert call(s, "GET", "/api/mailroom/rules")[1] == {"Rules": []}


def test_chaos_triggers_are_reply_rules_with_a_probability() -> None:
    with mailroom.Server(http_port=0) as s:
        off = {"ErrorCode": 451, "Probability": 0}
        auth_off = {"ErrorCode": 535, "Probability": 0}  # Mailpit's defaults
        assert call(s, "GET", "/api/v1/chaos")[1] == {
            "Sender": off,
            "Recipient": off,
            "Authentication": auth_off,
        }
        assert call(s, "GET", "/api/v1/webui")[1]["ChaosEnabled"] is True
        status, now = call(
            s, "PUT", "/api/v1/chaos", {"Sender": {"ErrorCode": 452, "Probability": 100}}
        )
        assert status == 200 and now["Sender"] == {"ErrorCode": 452, "Probability": 100}
        assert now["Recipient"] == off
        with smtplib.SMTP(*s.smtp_address) as c, pytest.raises(smtplib.SMTPSenderRefused) as e:
            c.sendmail("alice@a.test", ["bob@a.test"], b"Subject: x\r\n\r\nx\r\n")
        assert e.value.smtp_code == 452
        [rule] = call(s, "GET", "/api/mailroom/rules")[1]["Rules"]
        assert rule["Chaos"] is True and rule["Probability"] == 100 and rule["Stage"] == "mail"
        status, now = call(
            s, "PUT", "/api/v1/chaos", {"Recipient": {"ErrorCode": 550, "Probability": 30}}
        )
        assert now["Sender"] == off and now["Recipient"] == {"ErrorCode": 550, "Probability": 30}
        assert call(s, "PUT", "/api/v1/chaos", {})[1]["Recipient"] == off
        # A trigger without an ErrorCode takes Mailpit's default for it.
        status, now = call(s, "PUT", "/api/v1/chaos", {"Authentication": {"Probability": 1}})
        assert now["Authentication"] == {"ErrorCode": 535, "Probability": 1}
        assert call(s, "PUT", "/api/v1/chaos", {})[1]["Authentication"] == auth_off
        with smtplib.SMTP(*s.smtp_address) as c:
            assert c.sendmail("alice@a.test", ["bob@a.test"], b"Subject: x\r\n\r\nx\r\n") == {}
        for body, field in (
            ({"Sender": {"ErrorCode": 250, "Probability": 10}}, "Sender.ErrorCode"),
            ({"Recipient": {"ErrorCode": 451, "Probability": 101}}, "Recipient.Probability"),
            ({"Sender": 5}, "Sender"),
            ({"Authentication": {"ErrorCode": 200, "Probability": 50}}, "Authentication.ErrorCode"),
        ):
            status, error = call(s, "PUT", "/api/v1/chaos", body)
            assert status == 400 and error["Error"].startswith(field), error
        assert call(s, "GET", "/api/mailroom/rules")[1] == {"Rules": []}
    # Authentication: SMTP AUTH is refused with the trigger's code.
    with mailroom.Server(http_port=0, submission_port=0) as s:
        status, now = call(
            s, "PUT", "/api/v1/chaos", {"Authentication": {"ErrorCode": 454, "Probability": 100}}
        )
        assert status == 200 and now["Authentication"] == {"ErrorCode": 454, "Probability": 100}
        assert now["Sender"] == off and now["Recipient"] == off
        [rule] = call(s, "GET", "/api/mailroom/rules")[1]["Rules"]
        assert rule["Stage"] == "auth" and rule["Chaos"] is True
        with smtplib.SMTP(s.host, s.submission_port) as c:
            with pytest.raises(smtplib.SMTPAuthenticationError) as auth_error:
                c.login("alice@example.test", "pw")
            assert auth_error.value.smtp_code == 454
            # Mail still goes once the trigger is off; the login works again.
            call(s, "PUT", "/api/v1/chaos", {})
            c.login("alice@example.test", "pw")
            assert (
                c.sendmail("alice@example.test", ["bob@example.test"], b"Subject: x\r\n\r\nx\r\n")
                == {}
            )
    # With users: server-wide, so not for a logged-in user.
    import base64

    with mailroom.Server(http_port=0, users={"bob@a.test": "pw"}) as s:
        auth = "Basic " + base64.b64encode(b"bob@a.test:pw").decode()
        for method, path in (
            ("GET", "/api/v1/chaos"),
            ("PUT", "/api/v1/chaos"),
            ("GET", "/api/mailroom/rules"),
            ("POST", "/api/mailroom/rules"),
            ("DELETE", "/api/mailroom/rules"),
        ):
            status, error = call(
                s, method, path, {} if method != "GET" else None, Authorization=auth
            )
            assert status == 403 and "every user" in error["Error"], path


def test_rule_delays_are_written_as_plain_numbers() -> None:
    with mailroom.Server(http_port=0) as s:
        for delay in (0, 1.5):
            status, _ = call(
                s, "POST", "/api/mailroom/rules",
                {"Protocol": "smtp", "Code": 451, "Recipient": f"d{delay}@a.test", "Delay": delay},
            )  # fmt: skip
            assert status == 200
        with urllib.request.urlopen(s.http_url + "/api/mailroom/rules", timeout=10) as r:
            raw = r.read().decode()
        assert '"Delay":0,' in raw and '"Delay":1.5,' in raw, raw
        assert "E0" not in raw, raw
        assert [r["Delay"] for r in json.loads(raw)["Rules"]] == [0, 1.5]
