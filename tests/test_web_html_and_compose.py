"""The web mail client's HTML reader and compose in Debian's headless
Chromium: a hostile HTML message runs nothing and loads nothing from
outside (every attempted request to another host is counted: zero) until
the user shows remote content for that message; the MIME tree and the SMTP
transcript; compose, reply and forward with attachments reach the
recipients' mailboxes (checked in the store), with a copy in Sent; drafts
are saved, reopened from Drafts and removed when sent."""

from __future__ import annotations

import base64
import smtplib
from pathlib import Path
from typing import Any

import pytest

import mailroom

from .browser import Browser, artifacts, chromium, open_folder, wait_until

BOB = "bob@example.test"
CAROL = "carol@example.test"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
HOSTILE = """<html><head>
<meta http-equiv="refresh" content="0;url=http://evil.example/refresh">
<base href="http://evil.example/">
<link rel="stylesheet" href="http://evil.example/link.css">
<style>@import url(http://evil.example/import.css);
body { background: url('https://evil.example/bg.png'); }
@font-face { font-family: x; src: url(https://evil.example/font.woff); }</style>
<script>parent.pwned = 'script'; fetch('http://evil.example/fetch');</script>
</head><body onload="parent.pwned = 'onload'">
<h1 id="greeting">Hello Bob</h1>
<img id="logo" src="cid:logo@example.test" alt="logo">
<img src="http://evil.example/pixel.gif" onerror="parent.pwned = 'onerror'">
<a id="js" href="javascript:parent.pwned = 'href'">click me</a>
<div style="background-image: url(https://evil.example/inline.png)">styled</div>
<svg><script>parent.pwned = 'svg'</script><image href="http://evil.example/svg.png"/></svg>
<form action="http://evil.example/form"><input name="q"><button>go</button></form>
<iframe src="http://evil.example/frame"></iframe>
<object data="http://evil.example/object"></object><embed src="http://evil.example/embed">
</body></html>"""


def hostile_message() -> bytes:
    return (
        "From: Mallory <mallory@evil.example>\r\nTo: bob@example.test\r\nSubject: Totally safe\r\n"
        "Message-ID: <hostile@evil.example>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=r\r\n\r\n"
        "--r\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + HOSTILE + "\r\n"
        "--r\r\nContent-Type: image/png\r\nContent-ID: <logo@example.test>\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n"
        + base64.b64encode(PNG).decode()
        + "\r\n--r--\r\n"
    ).encode()


def open_row(page: Any, subject: str) -> None:
    page.locator("#messages li", has_text=subject).first.click()
    wait_until(page, "s => document.querySelector('#subject').textContent === s", subject)


def test_hostile_html_runs_nothing_and_loads_nothing(web_server: mailroom.Server,
                                                     tmp_path: Path) -> None:  # fmt: skip
    with smtplib.SMTP(*web_server.smtp_address) as c:
        c.sendmail("mallory@evil.example", [BOB], hostile_message())
    web_server.account(BOB).inbox.append(b"From: a@example.test\r\nSubject: Plain\r\n\r\nplain\r\n")
    with chromium() as b:
        page = b.page
        page.goto(web_server.http_url + "/")
        open_folder(page, BOB, "INBOX")
        open_row(page, "Totally safe")
        frame_el = page.wait_for_selector("#html[src]")
        assert frame_el.get_attribute("sandbox") == ""  # no allow-scripts, no allow-same-origin
        frame = frame_el.content_frame()
        assert frame is not None
        frame.wait_for_selector("#greeting")
        # The inline image came through its cid: reference, from this web_server.
        wait_until(frame, "document.querySelector('#logo').naturalWidth === 1")
        assert "/part/" in (frame.evaluate("document.querySelector('#logo').src") or "")
        page.wait_for_timeout(500)  # time for anything that would run or load
        assert page.evaluate("window.pwned") is None
        assert frame.evaluate("document.querySelectorAll('script, form, iframe, object, embed, "
                              "meta[http-equiv], base, link').length") == 0  # fmt: skip
        assert frame.evaluate("[...document.querySelectorAll('*')].flatMap(e => [...e.attributes])"
                              ".filter(a => a.name.startsWith('on')).length") == 0  # fmt: skip
        assert "javascript:" not in (frame.evaluate("document.querySelector('#js').href || ''"))
        page.locator("#html").content_frame.locator("#js").click()
        page.wait_for_timeout(200)
        assert page.evaluate("window.pwned") is None
        assert page.url.startswith(web_server.http_url)
        assert b.outside == [], b.outside  # nothing was even attempted
        bar = page.wait_for_selector("#remote-bar:not([hidden])")
        assert "Remote content blocked" in (bar.text_content() or "")
        page.screenshot(path=str(artifacts(tmp_path) / "client-html-reader.png"))
        # Shown on request, for this message only (the test's guard still refuses them).
        page.click("#remote-show")
        wait_until(page, "document.querySelector('#html').src.endsWith('remote=1')")
        wait_until(page, "document.querySelector('#remote-bar').hidden")
        page.wait_for_timeout(500)
        assert page.evaluate("window.pwned") is None
        assert all("evil.example" in u for u in b.outside)
        open_row(page, "Plain")
        open_row(page, "Totally safe")
        wait_until(page, "document.querySelector('#html').src.endsWith('remote=0')")
        assert b.errors == []


def test_mime_tree_and_smtp_transcript(web_server: mailroom.Server, browser: Browser) -> None:
    page = browser.page
    with smtplib.SMTP(*web_server.smtp_address) as c:
        c.sendmail("mallory@evil.example", [BOB], hostile_message())
    web_server.account(BOB).inbox.append(b"From: a@example.test\r\nSubject: Appended\r\n\r\nx\r\n")
    page.goto(web_server.http_url + "/")
    open_folder(page, BOB, "INBOX")
    open_row(page, "Totally safe")
    page.click("#tab-structure")
    wait_until(page, "document.querySelectorAll('#structure li').length === 3")
    tree = page.text_content("#structure") or ""
    assert "multipart/related" in tree and "text/html" in tree and "image/png" in tree
    page.click("#tab-transcript")
    wait_until(page, "document.querySelector('#transcript').textContent.includes('C: data')")
    lines = (page.text_content("#transcript") or "").lower().splitlines()  # as smtplib wrote it
    assert any(line.startswith("c: mail from:<mallory@evil.example>") for line in lines)
    assert any(line.startswith("s: 250") for line in lines)
    open_row(page, "Appended")  # not delivered over SMTP: said so
    page.click("#tab-transcript")
    wait_until(page, "document.querySelector('#transcript-about').textContent"
                     ".startsWith('No SMTP transcript')")  # fmt: skip


def attachment(page: Any, name: str, data: bytes, mime: str = "application/octet-stream") -> None:
    page.set_input_files("#c-attach", files=[{"name": name, "mimeType": mime, "buffer": data}])
    page.wait_for_selector(f"#c-files li:has-text('{name}')")


def test_compose_reply_and_forward_with_attachments(web_server: mailroom.Server, browser: Browser,
                                                    tmp_path: Path) -> None:  # fmt: skip
    page = browser.page
    web_server.account(BOB)
    web_server.account(CAROL)
    page.goto(web_server.http_url + "/")
    open_folder(page, BOB, "INBOX")
    page.keyboard.press("c")
    page.wait_for_selector("#compose")
    assert page.input_value("#c-from") == BOB
    page.fill("#c-to", f"Carol <{CAROL}>")
    page.fill("#c-subject", "Plans")
    page.fill("#c-body", "Plans attached.\nBob")
    attachment(page, "plans.bin", bytes(range(256)) * 4)
    page.screenshot(path=str(artifacts(tmp_path) / "client-compose.png"))
    page.click("#c-send")
    wait_until(page, f"() => document.querySelector('#toast').textContent.includes('{CAROL}')")
    [got] = web_server.account(CAROL).inbox.messages()
    received = web_server.account(CAROL).inbox.message(got.uid)
    assert received.subject == "Plans"
    assert [(a.filename, a.data) for a in received.attachments] == [
        ("plans.bin", bytes(range(256)) * 4)
    ]
    assert len(web_server.account(BOB).folder("Sent")) == 1
    # Carol replies with an attachment of her own.
    open_folder(page, CAROL, "INBOX")
    open_row(page, "Plans")
    page.keyboard.press("r")
    wait_until(page, "document.querySelector('#c-subject').value === 'Re: Plans'")
    assert BOB in page.input_value("#c-to")
    assert "> Plans attached." in page.input_value("#c-body")
    page.fill("#c-body", "Looks good.\n\n" + page.input_value("#c-body"))
    attachment(page, "notes.txt", b"notes\n", "text/plain")
    page.click("#c-send")
    wait_until(page, f"() => document.querySelector('#toast').textContent.includes('{BOB}')")
    replies = [m for m in web_server.account(BOB).inbox.messages()]
    reply = web_server.account(BOB).inbox.message(replies[-1].uid)
    assert reply.subject == "Re: Plans"
    assert reply.get("In-Reply-To") == received.message_id or reply.get("In-Reply-To")
    assert [(a.filename, a.data) for a in reply.attachments] == [("notes.txt", b"notes\n")]
    assert "\\Answered" in web_server.account(CAROL).inbox.messages()[0].flags
    # Bob forwards it to Dave with Carol's attachment carried along.
    open_folder(page, BOB, "INBOX")
    open_row(page, "Re: Plans")
    page.keyboard.press("f")
    wait_until(page, "document.querySelector('#c-subject').value.startsWith('Fwd:')")
    assert page.is_checked("#c-files input[type=checkbox]")
    page.fill("#c-to", "dave@example.test")
    page.click("#c-send")
    wait_until(page, "() => document.querySelector('#toast').textContent.includes('dave@')")
    [fwd_info] = web_server.account("dave@example.test").inbox.messages()
    fwd = web_server.account("dave@example.test").inbox.message(fwd_info.uid)
    assert any(a.filename == "notes.txt" and a.data == b"notes\n" for a in fwd.attachments)


def test_drafts_saved_reopened_and_sent(web_server: mailroom.Server, browser: Browser) -> None:
    page = browser.page
    web_server.account(CAROL)
    drafts = web_server.account(BOB).folder("Drafts")
    page.goto(web_server.http_url + "/")
    open_folder(page, BOB, "INBOX")
    page.click("#compose-button")
    page.fill("#c-to", CAROL)
    page.fill("#c-subject", "Half done")
    page.fill("#c-body", "First thoughts")
    page.click("#c-save")
    wait_until(page, "document.querySelector('#toast').textContent === 'Draft saved.'")
    [saved] = drafts.messages()
    assert "\\Draft" in saved.flags
    # Leaving a changed form saves it again, replacing the draft.
    page.fill("#c-body", "Second thoughts")
    open_folder(page, BOB, "Drafts")
    wait_until(page, "document.querySelectorAll('#messages li').length === 1")
    [again] = drafts.messages()
    assert again.uid != saved.uid
    assert "Second thoughts" in (drafts.message(again.uid).text or "")
    page.click("#messages li")
    wait_until(page, "document.querySelector('#c-subject').value === 'Half done'")
    assert page.input_value("#c-body").startswith("Second thoughts")
    assert CAROL in page.input_value("#c-to")
    page.click("#c-send")
    wait_until(page, f"() => document.querySelector('#toast').textContent.includes('{CAROL}')")
    assert len(drafts) == 0
    [sent] = web_server.account(CAROL).inbox.messages()
    assert web_server.account(CAROL).inbox.message(sent.uid).subject == "Half done"


def test_a_reopened_draft_of_a_reply_is_sent_as_the_reply(
    web_server: mailroom.Server, browser: Browser
) -> None:
    page = browser.page
    with smtplib.SMTP(*web_server.smtp_address) as c:
        c.sendmail(
            CAROL,
            [BOB],
            f"From: {CAROL}\r\nTo: {BOB}\r\nSubject: Lunch\r\n"
            "Message-ID: <lunch.1@example.test>\r\n\r\nNoon?\r\n".encode(),
        )
    inbox = web_server.account(BOB).inbox
    drafts = web_server.account(BOB).folder("Drafts")
    page.goto(web_server.http_url + "/")
    open_folder(page, BOB, "INBOX")
    open_row(page, "Lunch")
    page.keyboard.press("r")
    wait_until(page, "document.querySelector('#c-subject').value === 'Re: Lunch'")
    page.fill("#c-body", "Yes, noon.")
    page.click("#c-save")
    wait_until(page, "document.querySelector('#toast').textContent === 'Draft saved.'")
    # Elsewhere, then the draft again, from the Drafts folder.
    open_folder(page, BOB, "Drafts")
    wait_until(page, "document.querySelectorAll('#messages li').length === 1")
    page.click("#messages li")
    wait_until(page, "document.querySelector('#compose-title').textContent === 'Reply'")
    assert page.input_value("#c-body").startswith("Yes, noon.")
    page.click("#c-send")
    wait_until(page, f"() => document.querySelector('#toast').textContent.includes('{CAROL}')")
    assert len(drafts) == 0
    [got] = web_server.account(CAROL).inbox.messages()
    reply = web_server.account(CAROL).inbox.message(got.uid)
    assert reply.get("In-Reply-To") == "<lunch.1@example.test>"
    assert "<lunch.1@example.test>" in reply.get("References")
    assert reply.get("X-Mailroom-Mode") is None and reply.get("X-Mailroom-Reply-To") is None
    assert "\\Answered" in inbox.messages()[0].flags
    assert browser.errors == []


def test_compose_at_360_px(web_server: mailroom.Server) -> None:
    web_server.account(BOB)
    with chromium(360, 640) as b:
        page = b.page
        page.goto(web_server.http_url + "/")
        page.click("#compose-button")
        page.wait_for_selector("#compose")
        assert page.is_visible("#compose") and not page.is_visible("#list")
        assert not page.is_visible("#reader")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.click("#c-close")
        assert page.is_visible("#list") and not page.is_visible("#compose")
        assert len(web_server.account(BOB).folder("Drafts")) == 0  # nothing typed: no draft
        assert b.errors == [] and b.outside == []


@pytest.mark.parametrize("saved", [True, False], ids=["draft-saved", "never-saved"])
def test_a_reply_whose_original_moved_while_it_was_open_is_sent(
    web_server: mailroom.Server, browser: Browser, saved: bool
) -> None:
    """The reply's form is open, its draft saved or not, when the original is
    moved to Archive (a new UID there): Send still sends the reply, threaded,
    and marks the original where it is now."""
    page = browser.page
    with smtplib.SMTP(*web_server.smtp_address) as c:
        c.sendmail(CAROL, [BOB], f"From: {CAROL}\r\nTo: {BOB}\r\nSubject: Dinner\r\n"
                   "Message-ID: <dinner.1@example.test>\r\n\r\nEight?\r\n".encode())  # fmt: skip
    inbox = web_server.account(BOB).inbox
    page.goto(web_server.http_url + "/")
    open_folder(page, BOB, "INBOX")
    open_row(page, "Dinner")
    page.keyboard.press("r")
    wait_until(page, "document.querySelector('#c-subject').value === 'Re: Dinner'")
    page.fill("#c-body", "Eight is fine.")
    if saved:
        page.click("#c-save")
        wait_until(page, "document.querySelector('#toast').textContent === 'Draft saved.'")
    [original] = inbox.messages()
    inbox.move([original.uid], "Archive")
    page.click("#c-send")
    wait_until(page, f"() => document.querySelector('#toast').textContent.includes('{CAROL}')")
    assert len(web_server.account(BOB).folder("Drafts")) == 0
    [got] = web_server.account(CAROL).inbox.messages()
    reply = web_server.account(CAROL).inbox.message(got.uid)
    assert reply.get("In-Reply-To") == "<dinner.1@example.test>"
    assert "\\Answered" in web_server.account(BOB).folder("Archive").messages()[0].flags
    assert browser.errors == []
