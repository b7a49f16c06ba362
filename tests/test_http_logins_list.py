"""A logged-in user's own list (`GET /api/v1/messages`): a page of their
INBOX newest first, without walking the rest, with the store's counts;
`latest`, removals and other users' lists follow. Real clients: urllib with
basic auth, smtplib."""

from __future__ import annotations

from typing import Any

import mailroom

from .login_client import BOB, EVE, USERS, Browser, basic, deliver, get


def test_a_logged_in_users_list_pages_their_inbox_newest_first() -> None:
    nobody = "nobody@example.test"
    with mailroom.Server(http_port=0, users={**USERS, nobody: "x"}) as s:
        for i in range(23):
            deliver(s, BOB, f"bob {i}")
        for i in range(4):
            deliver(s, EVE, f"eve {i}")
        b = Browser(s.http_url)
        auth = basic(BOB, USERS[BOB])

        def page(start: int, limit: int) -> Any:
            status, body = get(b, f"/api/v1/messages?start={start}&limit={limit}", auth)
            assert status == 200
            return body

        subjects: list[str] = []
        for start in range(0, 30, 5):
            got = page(start, 5)
            assert (got["total"], got["unread"], got["messages_count"]) == (23, 23, 23)
            assert got["start"] == start and got["count"] == len(got["messages"])
            subjects += [m["Subject"] for m in got["messages"]]
        assert subjects == [f"bob {i}" for i in reversed(range(23))]
        assert page(1000, 50)["messages"] == []
        # The latest is the first of the list; reading it counts at once.
        latest = get(b, "/api/v1/message/latest", auth)[1]
        assert latest["Subject"] == "bob 22"
        first = page(0, 2)
        assert first["unread"] == 22 and first["messages"][0]["Read"] is True
        # Removing the two newest: the page moves up, the counts follow.
        ids = [m["ID"] for m in first["messages"]]
        r = b.call("DELETE", "/api/v1/messages", {"IDs": ids}, headers=auth)
        assert r.status == 200
        after = page(0, 3)
        assert (after["total"], after["unread"]) == (21, 21)
        assert [m["Subject"] for m in after["messages"]] == ["bob 20", "bob 19", "bob 18"]
        # Another user sees only theirs; a user without mail, nothing.
        eve = get(b, "/api/v1/messages?limit=2", basic(EVE, USERS[EVE]))[1]
        assert eve["total"] == 4 and [m["Subject"] for m in eve["messages"]] == ["eve 3", "eve 2"]
        empty = get(b, "/api/v1/messages", basic(nobody, "x"))[1]
        assert (empty["total"], empty["messages"]) == (0, [])
