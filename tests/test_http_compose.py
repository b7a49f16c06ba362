"""The web mail client's reader and compose routes with a real HTTP client
(urllib) against a running server, mail delivered over SMTP with smtplib:
the sanitized HTML under its Content-Security-Policy."""

from __future__ import annotations

import json
import smtplib
from typing import Any

import pytest

import mailroom

from .test_http_api import call, get

HOSTILE = (
    b"From: Eve <eve@evil.example>\r\nTo: bob@example.test\r\nSubject: hostile\r\n"
    b"MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=b\r\n\r\n"
    b"--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
    b"<html><head><meta http-equiv=refresh content='0;url=https://evil.example/'>"
    b"<base href=https://evil.example/><link rel=stylesheet href=https://evil.example/x.css>"
    b"<style>@import url(https://evil.example/i.css); p { background: url(//evil.example/b.png) }"
    b"</style></head><body onload=alert(1)>"
    b"<p id=marker>SAFE-MARKER</p><script>alert(2)</script>"
    b"<img src=x onerror=alert(3)><img src=//evil.example/t.gif><img src=cid:logo@x>"
    b"<a href='jav&#x09;ascript:alert(4)'>click</a>"
    b"<svg><script>alert(5)</script></svg><iframe src=https://evil.example/></iframe>"
    b"<form action=https://evil.example/><input name=p></form>"
    b"<object data=https://evil.example/x.swf></object>"
    b"<div style=\"background-image: url('https://evil.example/c.png')\">styled</div>"
    b"</body></html>\r\n"
    b"--b\r\nContent-Type: image/png\r\nContent-ID: <logo@x>\r\n"
    b"Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--b--\r\n"
)


@pytest.fixture
def server() -> Any:
    with mailroom.Server(http_port=0) as s:
        yield s


def deliver(s: mailroom.Server, data: bytes, to: str = "bob@example.test") -> str:
    with smtplib.SMTP(*s.smtp_address) as c:
        c.sendmail("eve@evil.example", [to], data)
    s.wait_for(to=to)
    return str(get(s, "/api/v1/messages")["messages"][0]["ID"])


def test_html_is_sanitized_under_a_strict_policy(server: mailroom.Server) -> None:
    mid = deliver(server, HOSTILE)
    status, body, headers = call(server, "GET", f"/api/mailroom/message/{mid}/html")
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    policy = headers["Content-Security-Policy"]
    assert policy == (
        "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; "
        "font-src 'self' data:; sandbox; frame-ancestors 'self'"
    )
    # the remote image, the remote background, @import and the CSS url()
    assert headers["X-Mailroom-Remote-Blocked"] == "4"
    html = body.decode()
    assert "SAFE-MARKER" in html and "styled" in html
    low = html.lower()
    words = "<script onload onerror javascript: <svg <iframe <form <input <object <base <link"
    for banned in [*words.split(), "<meta http-equiv", "evil.example"]:
        assert banned not in low, banned
    # cid: points at the part (mailroom's route: any folder), which the server serves
    [part] = [a for a in get(server, f"/api/v1/message/{mid}")["Inline"]]
    src = f"/api/mailroom/message/{mid}/part/{part['PartID']}"
    assert f'<img src="{src}">' in html
    assert call(server, "GET", src)[0] == 200


def test_remote_content_when_allowed(server: mailroom.Server) -> None:
    mid = deliver(server, HOSTILE)
    status, body, headers = call(server, "GET", f"/api/mailroom/message/{mid}/html?remote=1")
    assert status == 200
    assert headers["X-Mailroom-Remote-Blocked"] == "0"
    policy = headers["Content-Security-Policy"]
    assert "img-src 'self' data: http: https:" in policy
    assert "style-src 'unsafe-inline' http: https:" in policy
    assert "sandbox" in policy and "default-src 'none'" in policy
    html = body.decode()
    assert '<img src="//evil.example/t.gif">' in html
    assert "<script" not in html.lower() and "javascript:" not in html.lower()


def test_a_text_message_is_escaped_pre(server: mailroom.Server) -> None:
    mid = deliver(
        server,
        b"From: a@example.test\r\nTo: bob@example.test\r\nSubject: t\r\n\r\n"
        b"1 < 2 <script>alert(1)</script>\r\n",
    )
    status, body, _ = call(server, "GET", f"/api/mailroom/message/{mid}/html")
    assert status == 200
    assert '<pre style="white-space: pre-wrap">1 &lt; 2 &lt;script&gt;' in body.decode()


def test_html_route_errors(server: mailroom.Server) -> None:
    mid = deliver(server, HOSTILE)
    status, body, _ = call(server, "GET", f"/api/mailroom/message/{mid}/html?remote=yes")
    assert status == 400 and "remote" in json.loads(body)["Error"]
    status, body, _ = call(server, "GET", "/api/mailroom/message/nope/html")
    assert status == 404 and json.loads(body)["Error"]


def folder(s: mailroom.Server, account: str, name: str) -> list[Any]:
    got = get(s, f"/api/mailroom/messages?account={account}&folder={name}")
    return list(got["messages"])


def compose(s: mailroom.Server, **fields: Any) -> tuple[int, Any]:
    status, body, _ = call(s, "POST", "/api/mailroom/compose", fields)
    return status, json.loads(body)


PDF = {"FileName": "map.pdf", "ContentType": "application/pdf", "Content": "JVBERi0xLjQgbWFw"}


def test_compose_with_an_attachment_reaches_the_inbox_and_sent(server: mailroom.Server) -> None:
    status, out = compose(
        server,
        From="Alice <alice@example.test>",
        To=["Bob <bob@example.test>"],
        Bcc=["carol@example.test"],
        Subject="Lunch",
        Text="At noon?",
        Attachments=[PDF],
    )
    assert status == 200, out
    assert sorted(out["Delivered"]) == ["bob@example.test", "carol@example.test"]
    assert out["Queued"] == []
    got = server.wait_for(to="bob@example.test")
    assert got.subject == "Lunch" and got.attachments[0].data == b"%PDF-1.4 map"
    assert "Bcc" not in got
    [sent] = folder(server, "alice@example.test", "Sent")
    assert sent["ID"] == out["ID"] and "\\Seen" in sent["Flags"]
    detail = get(server, f"/api/mailroom/message/{out['ID']}")
    assert detail["Attachments"][0]["FileName"] == "map.pdf"


def test_reply_prefill_and_reply_set_threading_and_answered(server: mailroom.Server) -> None:
    mid = deliver(
        server,
        b"From: Eve <eve@evil.example>\r\nTo: bob@example.test, dan@example.test\r\n"
        b"Subject: Plans\r\nMessage-ID: <p1@evil.example>\r\nReferences: <p0@evil.example>\r\n"
        b"Date: Tue, 1 Dec 2026 10:00:00 +0000\r\n\r\nNoon?\r\n",
    )
    draft = get(server, f"/api/mailroom/message/{mid}/reply?mode=reply_all")
    assert draft["Subject"] == "Re: Plans"
    assert draft["From"] == "bob@example.test"
    assert draft["To"] == ["Eve <eve@evil.example>"]
    assert draft["Cc"] == ["dan@example.test"]
    assert draft["InReplyTo"] == "<p1@evil.example>"
    assert draft["References"] == ["<p0@evil.example>", "<p1@evil.example>"]
    assert "Eve <eve@evil.example> wrote:\n> Noon?" in draft["Text"]
    status, out = compose(
        server,
        From=draft["From"],
        To=["dan@example.test"],
        Subject=draft["Subject"],
        Text="Yes." + draft["Text"],
        ReplyTo=mid,
        Mode="reply_all",
    )
    assert status == 200, out
    got = server.wait_for(to="dan@example.test")
    assert got["In-Reply-To"] == "<p1@evil.example>"
    assert got["References"] == "<p0@evil.example> <p1@evil.example>"
    [inbox] = folder(server, "bob@example.test", "INBOX")
    assert "\\Answered" in inbox["Flags"]
    status, body, _ = call(server, "GET", f"/api/mailroom/message/{mid}/reply?mode=later")
    assert status == 400 and "mode" in json.loads(body)["Error"]


def test_forward_carries_the_attachments(server: mailroom.Server) -> None:
    compose(server, From="alice@example.test", To=["bob@example.test"], Subject="Map",
            Text="here", Attachments=[PDF])  # fmt: skip
    mid = get(server, "/api/v1/messages")["messages"][0]["ID"]
    draft = get(server, f"/api/mailroom/message/{mid}/reply?mode=forward")
    assert draft["Subject"] == "Fwd: Map" and draft["InReplyTo"] == ""
    assert "---------- Forwarded message ---------" in draft["Text"]
    [att] = draft["Attachments"]
    assert (att["FileName"], att["ContentType"], att["Size"]) == ("map.pdf", "application/pdf", 12)
    status, out = compose(
        server, From="bob@example.test", To=["erin@example.test"], Subject=draft["Subject"],
        Text=draft["Text"], ReplyTo=mid, Mode="forward", ForwardParts=[att["PartID"]],
    )  # fmt: skip
    assert status == 200, out
    got = server.wait_for(to="erin@example.test")
    assert got.attachments[0].filename == "map.pdf"
    assert got.attachments[0].data == b"%PDF-1.4 map"
    status, out = compose(server, From="bob@example.test", To=["erin@example.test"],
                          ReplyTo=mid, Mode="forward", ForwardParts=["9"])  # fmt: skip
    assert status == 400 and "ForwardParts" in out["Error"]


def test_drafts_are_saved_replaced_and_removed_on_send(server: mailroom.Server) -> None:
    status, first = compose(server, From="alice@example.test", Subject="d1", Draft=True)
    assert status == 200, first
    assert first["Delivered"] == [] and first["Queued"] == []
    [d] = folder(server, "alice@example.test", "Drafts")
    assert d["ID"] == first["ID"] and "\\Draft" in d["Flags"]
    status, second = compose(
        server, From="alice@example.test", To=["bob@example.test"], Subject="d2", Draft=True,
        DraftID=first["ID"],
    )  # fmt: skip
    assert status == 200, second
    assert [m["Subject"] for m in folder(server, "alice@example.test", "Drafts")] == ["d2"]
    status, sent = compose(server, From="alice@example.test", To=["bob@example.test"],
                           Subject="d2", Text="final", DraftID=second["ID"])  # fmt: skip
    assert status == 200, sent
    assert folder(server, "alice@example.test", "Drafts") == []
    assert [m["Subject"] for m in folder(server, "alice@example.test", "Sent")] == ["d2"]
    assert server.wait_for(to="bob@example.test").subject == "d2"


def test_a_draft_of_a_forward_keeps_what_it_forwards(server: mailroom.Server) -> None:
    with smtplib.SMTP(*server.smtp_address) as c:
        c.sendmail("bob@example.test", ["alice@example.test"], b"Subject: plan\r\n\r\nplan\r\n")
    [original] = folder(server, "alice@example.test", "INBOX")
    status, saved = compose(server, From="alice@example.test", Subject="Fwd: plan", Draft=True,
                            Mode="forward", ReplyTo=original["ID"])  # fmt: skip
    assert status == 200, saved
    draft = get(server, f"/api/mailroom/message/{saved['ID']}")
    assert draft["Answers"] == {"Mode": "forward", "ID": original["ID"]}
    answers = draft["Answers"]
    status, sent = compose(server, From="alice@example.test", To=["carol@example.test"],
                           Subject="Fwd: plan", DraftID=saved["ID"], Mode=answers["Mode"],
                           ReplyTo=answers["ID"])  # fmt: skip
    assert status == 200, sent
    forwarded = server.wait_for(to="carol@example.test")
    assert forwarded.get("X-Mailroom-Mode") is None and forwarded.get("X-Mailroom-Reply-To") is None
    assert "$Forwarded" in folder(server, "alice@example.test", "INBOX")[0]["Flags"]
    assert "Answers" not in get(server, f"/api/mailroom/message/{original['ID']}")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"To": ["bob@example.test"]}, "From"),
        ({"From": "alice@example.test"}, "To, Cc or Bcc"),
        ({"From": "alice@example.test", "To": "bob@example.test"}, "To"),
        ({"From": "alice@example.test", "To": ["not an address"]}, "To[0]"),
        ({"From": "alice@example.test", "To": ["b@example.test"], "Mode": "x"}, "Mode"),
        ({"From": "alice@example.test", "To": ["b@example.test"], "Draft": "yes"}, "Draft"),
        ({"From": "alice@example.test", "To": ["b@example.test"], "ReplyTo": "nope"}, "ReplyTo"),
        ({"From": "alice@example.test", "To": ["b@example.test"], "DraftID": "nope"}, "DraftID"),
        (
            {
                "From": "a@example.test",
                "To": ["b@example.test"],
                "Attachments": [{"FileName": "x", "Content": "%%%"}],
            },
            "Attachments[0].Content",
        ),  # fmt: skip
    ],
)
def test_bad_fields_are_named(server: mailroom.Server, body: Any, field: str) -> None:
    status, out = compose(server, **body)
    assert status == 400
    assert field in out["Error"]


def test_bad_json_and_oversized_uploads() -> None:
    with mailroom.Server(http_port=0, max_message_size=64 * 1024) as s:
        status, body, _ = call(s, "POST", "/api/mailroom/compose", b"{not json")
        assert status == 400 and "JSON" in json.loads(body)["Error"]
        big = {"FileName": "big.bin", "Content": "QUFB" * 30_000}
        status, out = compose(s, From="a@example.test", To=["b@example.test"], Attachments=[big])
        assert status == 413, out
        assert "64" in out["Error"] or "65536" in out["Error"]
        assert len(s) == 0


def test_structure_is_the_mime_tree(server: mailroom.Server) -> None:
    mid = deliver(server, HOSTILE)
    tree = get(server, f"/api/mailroom/message/{mid}/structure")
    assert tree["ContentType"] == "multipart/related" and tree["PartID"] == ""
    html, image = tree["Parts"]
    assert (html["PartID"], html["ContentType"], html["Charset"]) == ("1", "text/html", "utf-8")
    assert (image["PartID"], image["ContentType"], image["ContentID"]) == (
        "2",
        "image/png",
        "logo@x",
    )
    assert image["Size"] == len(b"iVBORw0KGgo=")  # the body as sent, base64
    assert html["Parts"] == [] and image["Parts"] == []
    status, body, _ = call(server, "GET", "/api/mailroom/message/nope/structure")
    assert status == 404 and json.loads(body)["Error"]
