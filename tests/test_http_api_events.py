"""The WebSocket /api/events with a real WebSocket client (websocket-client):
each event Mailpit sends (new, stats, update with the read status and with
the tags, delete, truncate) in Mailpit's {"Type", "Data"} shape, for changes
made over SMTP, the REST API and IMAP."""

from __future__ import annotations

import imaplib
import json
import smtplib
import urllib.request
from typing import Any

import pytest

import mailroom

from .conftest import require_module


@pytest.fixture
def server() -> Any:
    with mailroom.Server(http_port=0, imap_port=0) as s:
        s.account("bob@example.test")  # its folders made before the socket listens
        yield s


class Events:
    """Mailpit's events from the socket, mailroom's own (mailroom.folder) left out."""

    def __init__(self, s: mailroom.Server) -> None:
        websocket = require_module("websocket")
        self.ws = websocket.create_connection(f"ws://{s.host}:{s.http_port}/api/events", timeout=10)

    def next(self) -> dict[str, Any]:
        while True:
            event: dict[str, Any] = json.loads(self.ws.recv())
            assert set(event) == {"Type", "Data"}, event
            if event["Type"] != "mailroom.folder":
                return event

    def until(self, kind: str) -> dict[str, Any]:
        """The next event of `kind`, with the events before it checked to be Mailpit's."""
        for _ in range(20):
            event = self.next()
            assert event["Type"] in {"new", "stats", "update", "delete", "truncate"}, event
            if event["Type"] == kind:
                return event
        raise AssertionError(f"no {kind} event")


def call(s: mailroom.Server, method: str, path: str, body: Any = None) -> int:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(s.http_url + path, data=data, method=method)
    with urllib.request.urlopen(req, timeout=10) as r:
        return int(r.status)


def send(s: mailroom.Server, subject: str, to: str = "bob@example.test") -> None:
    with smtplib.SMTP(*s.smtp_address) as c:
        c.sendmail(
            "alice@example.test",
            [to],
            f"From: alice@example.test\r\nTo: {to}\r\nSubject: {subject}\r\n\r\nhi\r\n",
        )


def test_each_event_mailpit_sends(server: mailroom.Server) -> None:
    events = Events(server)
    try:
        # new: the message's summary, as GET /api/v1/messages lists it.
        send(server, "first")
        new = events.next()
        assert new["Type"] == "new" and new["Data"]["Subject"] == "first"
        with urllib.request.urlopen(server.http_url + "/api/v1/messages", timeout=10) as r:
            [listed] = json.load(r)["messages"]
        assert new["Data"] == listed
        # stats: the mailbox's totals after each change.
        assert events.next() == {
            "Type": "stats",
            "Data": {"Total": 1, "Unread": 1, "Version": mailroom.__version__},
        }
        message_id = new["Data"]["ID"]
        # update: read status (Mailpit's {ID, Read}) ...
        assert call(server, "PUT", "/api/v1/messages", {"IDs": [message_id], "Read": True}) == 200
        update = events.next()
        assert update == {"Type": "update", "Data": {"ID": message_id, "Read": True, "Tags": []}}
        assert events.next()["Data"]["Unread"] == 0
        # ... and tags (Mailpit's {ID, Tags}), set by the API or as IMAP keywords.
        assert call(server, "PUT", "/api/v1/tags", {"IDs": [message_id], "Tags": ["urgent"]}) == 200
        tagged = events.until("update")["Data"]
        assert tagged == {"ID": message_id, "Read": True, "Tags": ["urgent"]}
        imap = imaplib.IMAP4(server.host, server.imap_port, timeout=10)
        try:
            imap.login("bob@example.test", "any")
            imap.select("INBOX")
            assert imap.uid("STORE", "1", "+FLAGS", "(later)")[0] == "OK"
            tags = events.until("update")["Data"]["Tags"]
            assert sorted(tags) == ["later", "urgent"]
            # delete, then the stats, for one message of several.
            send(server, "second")
            assert events.until("new")["Data"]["Subject"] == "second"
            assert imap.uid("STORE", "1", "+FLAGS", r"(\Deleted)")[0] == "OK"
            assert imap.expunge()[0] == "OK"
            assert events.until("delete") == {"Type": "delete", "Data": {"ID": message_id}}
            stats = events.next()
            assert stats["Type"] == "stats" and stats["Data"]["Total"] == 1
        finally:
            imap.logout()
        # truncate: the mailbox emptied (DELETE /api/v1/messages with no IDs).
        assert call(server, "DELETE", "/api/v1/messages") == 200
        events.until("delete")
        assert events.next()["Data"]["Total"] == 0
        assert events.next() == {"Type": "truncate", "Data": None}
    finally:
        events.ws.close()
