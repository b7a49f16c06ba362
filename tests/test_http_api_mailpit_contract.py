"""Mailpit's API v1 where mailroom once differed from Mailpit's published
contract (its swagger document and search-filter documentation): the rest of
the search syntax, PUT /api/v1/messages with a Search, tags from plus
addresses, /api/v1/info's tag counts, /api/v1/webui's relay, and the header
values of /headers. Real clients (smtplib, urllib) against a running
server."""

from __future__ import annotations

import json
import smtplib
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest

import mailroom


@pytest.fixture
def server() -> Any:
    with mailroom.Server(http_port=0) as s:
        yield s


def call(s: mailroom.Server, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(s.http_url + path, data=data, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            text = r.read()
            status = r.status
            kind = r.headers["Content-Type"]
    except urllib.error.HTTPError as e:
        with e:
            text, status, kind = e.read(), e.code, e.headers["Content-Type"]
    return status, json.loads(text) if kind == "application/json" else text


def deliver(s: mailroom.Server, message: EmailMessage, rcpts: list[str] | None = None) -> None:
    """To bob alone (one copy listed) unless `rcpts` says otherwise."""
    with smtplib.SMTP(*s.smtp_address) as c:
        c.send_message(message, to_addrs=rcpts or ["bob@example.test"])


def message(subject: str, to: str = "bob@example.test", **fields: str) -> EmailMessage:
    m = EmailMessage()
    m["From"] = fields.pop("sender", "Alice <alice@example.test>")
    m["To"] = to
    m["Subject"] = subject
    for name, value in fields.items():
        m[name.replace("_", "-")] = value
    m.set_content(f"about {subject}\n")
    return m


def subjects(s: mailroom.Server, query: str) -> list[str]:
    status, found = call(s, "GET", "/api/v1/search?query=" + urllib.parse.quote(query))
    assert status == 200, found
    assert found["messages_count"] == len(found["messages"])
    return sorted(m["Subject"] for m in found["messages"])


def test_addressed_matches_any_address_field(server: mailroom.Server) -> None:
    deliver(server, message("to carol", to="carol@example.test"))
    deliver(server, message("from carol", sender="Carol <carol@example.test>"))
    deliver(server, message("reply to carol", Reply_To="carol@example.test"))
    deliver(server, message("cc carol", Cc="Carol <carol@example.test>"))
    deliver(server, message("not carol"))
    assert subjects(server, 'addressed:"carol@example.test"') == [
        "cc carol",
        "from carol",
        "reply to carol",
        "to carol",
    ]
    assert subjects(server, "-addressed:carol") == ["not carol"]
    assert len(subjects(server, "addressed:CAROL")) == 4  # names too, in any case


def test_after_and_before_compare_the_arrival_time(server: mailroom.Server) -> None:
    deliver(server, message("now"))
    today = datetime.now(UTC)
    tomorrow = (today + timedelta(days=1)).strftime("%Y/%m/%d")
    yesterday = (today - timedelta(days=1)).strftime("%Y-%m-%d")
    assert subjects(server, f"after:{yesterday}") == ["now"]
    assert subjects(server, f"before:{tomorrow}") == ["now"]
    assert subjects(server, f"after:{tomorrow}") == []
    assert subjects(server, f"!before:{tomorrow}") == []
    in_a_minute = (today + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%S")
    assert subjects(server, f'before:"{in_a_minute}"') == ["now"]
    assert subjects(server, f"after:{in_a_minute}Z") == []
    for bad in ("after:yesterday", "before:2024/13/01", "after:2024-04-01T25:00"):
        status, error = call(server, "GET", "/api/v1/search?query=" + urllib.parse.quote(bad))
        assert status == 400 and error["Error"].startswith("query: "), (bad, error)
        assert bad.split(":")[0] + ":" in error["Error"]


def test_larger_and_smaller_compare_the_size_in_mailpits_units(server: mailroom.Server) -> None:
    small = message("small")
    big = message("big")
    big.set_content("x" * 3000 + "\n")
    deliver(server, small)
    deliver(server, big)
    assert subjects(server, "larger:2k") == ["big"]
    assert subjects(server, "larger:2KB") == ["big"]
    assert subjects(server, "smaller:2k") == ["small"]
    assert subjects(server, "smaller:0.5mb") == ["big", "small"]
    assert subjects(server, "-larger:2k") == ["small"]
    assert subjects(server, "larger:2048") == ["big"]
    status, error = call(server, "GET", "/api/v1/search?query=larger:lots")
    assert status == 400 and "larger:" in error["Error"]


def test_has_inline_and_has_attachment_as_the_message_lists_them(
    server: mailroom.Server,
) -> None:
    inline = message("inline image")
    inline.add_alternative('<p><img src="cid:logo"></p>', subtype="html")
    inline.get_payload()[1].add_related(
        b"\x89PNG\r\n", maintype="image", subtype="png", cid="<logo>"
    )
    attached = message("attached file")
    attached.add_attachment(b"data", maintype="application", subtype="pdf", filename="a.pdf")
    deliver(server, inline)
    deliver(server, attached)
    deliver(server, message("plain"))
    assert subjects(server, "has:inline") == ["inline image"]
    assert subjects(server, "has:attachment") == ["attached file"]
    assert subjects(server, "!has:attachment !has:inline") == ["plain"]
    [shown] = call(server, "GET", "/api/v1/search?query=has:inline")[1]["messages"]
    detail = call(server, "GET", f"/api/v1/message/{shown['ID']}")[1]
    assert len(detail["Inline"]) == 1 and detail["Attachments"] == []


def test_read_status_by_search(server: mailroom.Server) -> None:
    for subject in ("invoice 1", "invoice 2", "newsletter"):
        deliver(server, message(subject))
    status, body = call(server, "PUT", "/api/v1/messages", {"Search": "invoice", "Read": True})
    assert (status, body) == (200, b"ok")
    assert subjects(server, "is:read") == ["invoice 1", "invoice 2"]
    assert subjects(server, "is:unread") == ["newsletter"]
    # Search wins over IDs, as in Mailpit.
    ids = [m["ID"] for m in call(server, "GET", "/api/v1/messages")[1]["messages"]]
    assert (
        call(server, "PUT", "/api/v1/messages", {"IDs": ids, "Search": "subject:invoice"})[0] == 200
    )
    assert subjects(server, "is:read") == []
    status, error = call(server, "PUT", "/api/v1/messages", {"Search": "is:bogus", "Read": True})
    assert status == 400 and error["Error"].startswith("Search: is:"), error
    status, error = call(server, "PUT", "/api/v1/messages", {"Search": 7})
    assert status == 400 and "Search" in error["Error"]
    assert subjects(server, "is:read") == []


def test_plus_addresses_tag_a_message(server: mailroom.Server) -> None:
    # "signup" from the To field, "eu" from the envelope (a Bcc recipient).
    deliver(
        server,
        message("signup", to="bob+signup@example.test", X_Tags="welcome"),
        ["bob+eu@example.test"],
    )
    deliver(server, message("untagged"))
    listed = call(server, "GET", "/api/v1/messages")[1]["messages"]
    tagged = next(m for m in listed if m["Subject"] == "signup")
    assert tagged["Tags"] == ["welcome", "signup", "eu"]
    assert subjects(server, "tag:eu") == ["signup"]
    assert subjects(server, "is:tagged") == ["signup"]
    assert subjects(server, "!is:tagged") == ["untagged"]
    assert call(server, "GET", "/api/v1/tags")[1] == ["eu", "signup", "welcome"]
    info = call(server, "GET", "/api/v1/info")[1]
    assert info["Tags"] == {"eu": 1, "signup": 1, "welcome": 1}
    # A tag set through the API adds to the count.
    ids = [m["ID"] for m in listed]
    assert call(server, "PUT", "/api/v1/tags", {"IDs": ids, "Tags": ["eu"]})[0] == 200
    assert call(server, "GET", "/api/v1/info")[1]["Tags"]["eu"] == 2


def test_webui_says_whether_release_works(server: mailroom.Server) -> None:
    assert call(server, "GET", "/api/v1/webui")[1]["MessageRelay"] == {"Enabled": False}
    with mailroom.Server(http_port=0, relay=True) as relaying:
        assert call(relaying, "GET", "/api/v1/webui")[1]["MessageRelay"] == {"Enabled": True}


def test_header_values_are_unfolded_as_mailpit_reads_them(server: mailroom.Server) -> None:
    raw = (
        b"From: alice@example.test\r\nTo: bob@example.test\r\n"
        b"Subject: a long\r\n  subject\r\n\tfolded twice\r\n"
        b"X-Trailing: value   \r\n\r\nbody\r\n"
    )
    with smtplib.SMTP(*server.smtp_address) as c:
        c.sendmail("alice@example.test", ["bob@example.test"], raw)
    fields = call(server, "GET", "/api/v1/message/latest/headers")[1]
    assert fields["Subject"] == ["a long subject folded twice"]
    assert fields["Received"][0].startswith("from ") and "\t" not in fields["Received"][0]
    assert "  " not in fields["Received"][0]


def test_field_names_match_without_regard_to_case_as_in_mailpit(server: mailroom.Server) -> None:
    # Mailpit reads its JSON with Go's encoding/json, which matches a field's
    # name exactly and then case-insensitively: {"ids": ..., "read": true} works.
    for subject in ("one", "two"):
        deliver(server, message(subject))
    listed = call(server, "GET", "/api/v1/messages")[1]["messages"]
    one = next(m["ID"] for m in listed if m["Subject"] == "one")
    assert call(server, "PUT", "/api/v1/messages", {"ids": [one], "read": True})[0] == 200
    assert subjects(server, "is:read") == ["one"]
    status, error = call(server, "PUT", "/api/v1/messages", {"ids": [one], "READ": "yes"})
    assert status == 400 and "Read" in error["Error"], error
    assert subjects(server, "is:read") == ["one"]
