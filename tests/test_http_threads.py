"""The folder routes the web mail client lists with: a folder's messages
sorted by date, sender, subject or size (`/api/mailroom/messages?sort=`),
and as threads built by the engine's RFC 5256 REFERENCES threading
(`/api/mailroom/threads`), paged, newest thread first."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest

import mailroom


def get(s: mailroom.Server, path: str) -> Any:
    with urllib.request.urlopen(s.http_url + path, timeout=10) as r:
        return json.load(r)


def mail(subject: str, sender: str, mid: str, date: str, refs: str = "", body: str = "") -> bytes:
    extra = (
        f"In-Reply-To: <{refs.split()[-1]}>\r\nReferences: "
        + " ".join(f"<{r}>" for r in refs.split())
        + "\r\n"
        if refs
        else ""
    )
    return (
        f"From: {sender}\r\nTo: bob@example.test\r\nSubject: {subject}\r\n"
        f"Message-ID: <{mid}>\r\nDate: {date}\r\n{extra}\r\n{body or subject}\r\n"
    ).encode()


@pytest.fixture
def server() -> Any:
    with mailroom.Server(http_port=0) as s:
        inbox = s.account("bob@example.test").inbox
        day = "Mon, 1 Dec 2026 {}:00 +0000".format
        carol = "Carol <carol@example.test>"
        for arrival, m in [
            (1000, mail("Lunch?", carol, "a@x", day("09:00"))),
            (2000, mail("Budget", "alice@example.test", "b@x", day("09:30"), body="x" * 500)),
            (3000, mail("Re: Lunch?", "Dave <dave@example.test>", "c@x", day("10:00"), "a@x")),
            (4000, mail("Re: Re: Lunch?", carol, "d@x", day("11:00"), "a@x c@x")),
            (500, mail("[team] Re: lunch?", "erin@example.test", "e@x", day("10:30"), "a@x")),
        ]:
            inbox.append(m, internal_date=arrival)
        yield s


def subjects(page: Any) -> list[str]:
    return [m["Subject"] for m in page["messages"]]


def test_a_folder_sorted_by_each_key(server: mailroom.Server) -> None:
    box = "/api/mailroom/messages?account=bob@example.test"
    assert subjects(get(server, box))[0] == "[team] Re: lunch?"  # the latest arrival
    by_date = get(server, box + "&sort=date")
    assert subjects(by_date) == ["Re: Re: Lunch?", "Re: Lunch?", "Budget", "Lunch?",
                                 "[team] Re: lunch?"]  # fmt: skip
    assert subjects(get(server, box + "&sort=date&order=asc"))[0] == "[team] Re: lunch?"
    by_size = get(server, box + "&sort=size")
    assert by_size["messages"][0]["Subject"] == "Budget"
    sizes = [m["Size"] for m in by_size["messages"]]
    assert sizes == sorted(sizes, reverse=True)
    # The base subject (RFC 5256 §2.1): "Budget" before every "lunch", ties newest first.
    by_subject = get(server, box + "&sort=subject&order=asc")
    assert subjects(by_subject)[0] == "Budget"
    senders = [m["From"]["Name"] or m["From"]["Address"] for m in
               get(server, box + "&sort=from&order=asc")["messages"]]  # fmt: skip
    assert senders == ["alice@example.test", "Carol", "Carol", "Dave", "erin@example.test"]
    page = get(server, box + "&sort=date&start=1&limit=2")
    assert subjects(page) == ["Re: Lunch?", "Budget"] and page["total"] == 5
    for bad in ("&sort=colour", "&order=up"):
        with pytest.raises(urllib.error.HTTPError) as e:
            get(server, box + bad)
        assert e.value.code == 400
        assert ("sort" if "sort" in bad else "order") in json.load(e.value)["Error"]
        e.value.close()


def test_threads_by_references_newest_first(server: mailroom.Server) -> None:
    got = get(server, "/api/mailroom/threads?account=bob@example.test")
    assert got["total"] == 2 and got["messages"] == 5 and got["count"] == 2
    lunch, budget = got["threads"]
    assert [(m["Depth"], m["Message"]["Subject"]) for m in lunch["Messages"]] == [
        (0, "Lunch?"), (1, "Re: Lunch?"), (2, "Re: Re: Lunch?"), (1, "[team] Re: lunch?")
    ]  # fmt: skip
    assert lunch["Unread"] == 4
    assert [m["Message"]["Subject"] for m in budget["Messages"]] == ["Budget"]
    assert "\\Seen" not in lunch["Messages"][0]["Message"]["Flags"]
    second = get(server, "/api/mailroom/threads?account=bob@example.test&start=1&limit=1")
    assert [t["Messages"][0]["Message"]["Subject"] for t in second["threads"]] == ["Budget"]
    with pytest.raises(urllib.error.HTTPError) as e:
        get(server, "/api/mailroom/threads?account=bob@example.test&folder=Nope")
    assert e.value.code == 404
    e.value.close()
    with pytest.raises(urllib.error.HTTPError) as e:
        get(server, "/api/mailroom/threads")
    assert e.value.code == 400 and "account" in json.load(e.value)["Error"]
    e.value.close()
