"""What the web mail client says and shows in the states a user meets beyond
the happy path, in Debian's headless Chromium: the reader after the message
it shows has gone (moved while a reply to it was written, or by choosing
another folder), an empty folder or search, a server that stopped, Send
pressed twice, Sent listing recipients, names and dates a person can read,
and the dark colour scheme."""

from __future__ import annotations

import datetime as dt
import re
import smtplib
from pathlib import Path
from typing import Any

import mailroom

from .browser import Browser, artifacts, chromium, open_folder, wait_until
from .test_web_html_and_compose import open_row

BOB = "bob@example.test"
CAROL = "carol@example.test"
LONG_NAME = "Maximilian Alexander von Hohenzollern-Sigmaringen"
LONG_ADDRESS = (
    "maximilian.alexander.von.hohenzollern-sigmaringen@a-very-long-subdomain.example.test"
)


def mail(subject: str, sender: str = f"Carol <{CAROL}>", mid: str = "", body: str = "x") -> bytes:
    head = f"From: {sender}\r\nTo: {BOB}\r\nSubject: {subject}\r\n"
    if mid:
        head += f"Message-ID: <{mid}>\r\n"
    return (head + "\r\n" + body + "\r\n").encode()


def test_after_sending_a_reply_whose_original_moved_the_reader_lets_it_go(
    web_server: mailroom.Server, browser: Browser, tmp_path: Path
) -> None:
    """The original leaves INBOX while its reply is written (here by the
    store, as an IMAP client would): after Send the reader no longer shows
    it as if it were still in INBOX, and Send's own note stays."""
    page = browser.page
    inbox = web_server.account(BOB).inbox
    inbox.append(mail("Dinner", mid="dinner.1@example.test"))
    inbox.append(mail("Breakfast"))
    page.goto(web_server.http_url + "/")
    open_folder(page, BOB, "INBOX")
    open_row(page, "Dinner")
    page.keyboard.press("r")
    wait_until(page, "document.querySelector('#c-subject').value === 'Re: Dinner'")
    page.fill("#c-body", "Eight is fine.")
    dinner = next(m for m in inbox.messages() if inbox.message(m.uid).subject == "Dinner")
    inbox.move([dinner.uid], "Archive")
    page.click("#c-send")
    wait_until(page, f"() => document.querySelector('#toast').textContent.includes('{CAROL}')")
    wait_until(page, "!document.querySelector('#nothing').hidden")
    assert page.is_hidden("#message")
    assert "no longer in INBOX" in (page.text_content("#nothing") or "")
    assert page.locator("#messages li .subject").all_text_contents() == ["Breakfast"]
    assert CAROL in (page.text_content("#toast") or "")  # the Send note is not replaced
    page.screenshot(path=str(artifacts(tmp_path) / "client-original-moved.png"))
    # The reply was sent and the original, where it is now, marked answered.
    assert "\\Answered" in web_server.account(BOB).folder("Archive").messages()[0].flags


def test_a_reply_whose_original_stayed_returns_to_it(
    web_server: mailroom.Server, browser: Browser
) -> None:
    page = browser.page
    web_server.account(BOB).inbox.append(mail("Lunch"))
    page.goto(web_server.http_url + "/")
    open_folder(page, BOB, "INBOX")
    open_row(page, "Lunch")
    page.click("#reply")
    wait_until(page, "document.querySelector('#c-subject').value === 'Re: Lunch'")
    page.click("#c-send")
    wait_until(page, f"() => document.querySelector('#toast').textContent.includes('{CAROL}')")
    page.wait_for_timeout(300)  # the list's refresh and its check of the open message
    assert page.is_visible("#message") and page.text_content("#subject") == "Lunch"


def test_choosing_another_folder_closes_the_message(
    web_server: mailroom.Server, browser: Browser
) -> None:
    page = browser.page
    web_server.account(BOB).inbox.append(mail("In the inbox"))
    page.goto(web_server.http_url + "/")
    open_folder(page, BOB, "INBOX")
    open_row(page, "In the inbox")
    open_folder(page, BOB, "Archive")
    assert page.is_hidden("#message") and page.is_visible("#nothing")
    assert page.text_content("#nothing") == "No message selected."


def test_an_empty_folder_and_an_empty_search_say_so(
    web_server: mailroom.Server, browser: Browser
) -> None:
    page = browser.page
    web_server.account(BOB).inbox.append(mail("Something"))
    page.goto(web_server.http_url + "/")
    open_folder(page, BOB, "Junk")
    wait_until(page, "!document.querySelector('#empty').hidden")
    assert page.text_content("#empty") == "Junk is empty."
    # Said at the top of the list, where the rows would be, not under an empty pane.
    box = "s => document.querySelector(s).getBoundingClientRect()"
    assert page.evaluate(box, "#empty")["top"] < page.evaluate(box, "#list-tools")["bottom"] + 20
    page.fill("#query", "subject:nowhere")
    page.press("#query", "Enter")
    wait_until(page, "document.querySelector('#empty-text').textContent.includes('matches')")
    assert page.text_content("#empty-text") == "No message in any INBOX matches “subject:nowhere”."


def test_a_stopped_server_is_said_plainly_and_the_old_rows_go(tmp_path: Path) -> None:
    with chromium() as b:
        page = b.page
        with mailroom.Server(http_port=0) as s:
            s.account(BOB).inbox.append(mail("Before the stop"))
            page.goto(s.http_url + "/")
            page.wait_for_selector("#messages li")
            page.wait_for_selector("#live.online")
        page.wait_for_selector("#live.offline")
        page.click(f'#tree button[data-account="{BOB}"][data-folder="Sent"]')
        page.wait_for_selector("#empty.error:not([hidden])")
        text = page.text_content("#empty") or ""
        assert "Could not show Sent" in text and "cannot be reached" in text
        assert "Failed to fetch" not in (page.text_content("#toast") or "")
        assert page.locator("#messages li").count() == 0  # not the rows of the list before
        assert page.get_attribute('#tree button[data-folder="Sent"]', "aria-current") == "true"
        assert page.is_visible("#empty button:has-text('Try again')")
        page.screenshot(path=str(artifacts(tmp_path) / "client-server-stopped.png"))
        assert b.outside == []


def test_send_pressed_twice_sends_once(web_server: mailroom.Server, browser: Browser) -> None:
    page = browser.page
    web_server.account(BOB)
    held: list[Any] = []
    page.route("**/api/mailroom/compose", lambda route: held.append(route))
    page.goto(web_server.http_url + "/")
    open_folder(page, BOB, "INBOX")
    page.click("#compose-button")
    page.fill("#c-to", CAROL)
    page.fill("#c-subject", "Once")
    page.click("#c-send")
    wait_until(page, "document.querySelector('#c-send').disabled")
    assert page.text_content("#c-send") == "Sending…"
    page.click("#c-send", force=True)
    page.wait_for_timeout(200)
    assert len(held) == 1
    held[0].continue_()
    wait_until(page, f"() => document.querySelector('#toast').textContent.includes('{CAROL}')")
    assert len(web_server.account(CAROL).inbox) == 1
    wait_until(page, "!document.querySelector('#c-send').disabled")  # ready for the next message
    assert page.text_content("#c-send") == "Send"


def test_sent_lists_whom_and_rows_show_names_and_readable_dates(
    web_server: mailroom.Server, browser: Browser
) -> None:
    page = browser.page
    bob = web_server.account(BOB)
    now = dt.datetime.now(dt.timezone.utc)
    long_ago = now - dt.timedelta(days=400)
    bob.inbox.append(mail("Old news", "Dave <dave@example.test>"), internal_date=long_ago)
    subject = "An extraordinarily long subject " + "that goes on and on " * 12
    bob.inbox.append(mail(subject, f'"{LONG_NAME}" <{LONG_ADDRESS}>'), internal_date=now)
    page.goto(web_server.http_url + "/")
    open_folder(page, BOB, "INBOX")
    new, old = page.locator("#messages li").all()
    # The name, not "Name <address>"; the whole of it in the tooltip.
    assert new.locator(".from").text_content() == LONG_NAME
    assert LONG_ADDRESS in (new.locator(".from").get_attribute("title") or "")
    # A long sender and subject keep the row to a few lines.
    assert (new.bounding_box() or {"height": 1e9})["height"] < 4.5 * 21
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    # Today: the time; over a year ago: a date with its year; the full date in the tooltip.
    assert re.fullmatch(r"\d{1,2}:\d{2}( [AP]M)?", new.locator(".when").text_content() or "")
    old_when = old.locator(".when")
    assert str(long_ago.year) in (old_when.text_content() or "")
    assert "/" not in (old_when.text_content() or "")
    assert str(long_ago.year) in (old_when.get_attribute("title") or "")
    # Sent names the recipients.
    page.click("#compose-button")
    page.fill("#c-to", f"Carol Jones <{CAROL}>")
    page.fill("#c-subject", "Plans")
    page.click("#c-send")
    wait_until(page, f"() => document.querySelector('#toast').textContent.includes('{CAROL}')")
    open_folder(page, BOB, "Sent")
    row = page.locator("#messages li").first
    assert row.locator(".from").text_content() == "To: Carol Jones"
    assert "to Carol Jones" in (row.get_attribute("aria-label") or "")


def luminance(css: str) -> float:
    r, g, b = (int(x) for x in re.findall(r"\d+", css)[:3])
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


def test_dark_colour_scheme(web_server: mailroom.Server, browser: Browser, tmp_path: Path) -> None:
    page = browser.page
    web_server.account(BOB).inbox.append(mail("At night"))
    page.emulate_media(color_scheme="dark")
    page.goto(web_server.http_url + "/")
    open_folder(page, BOB, "INBOX")
    open_row(page, "At night")
    style = "([sel, prop]) => getComputedStyle(document.querySelector(sel))[prop]"
    for sel in ("body", "#list", "#messages li", "#text", "#folders"):
        assert luminance(page.evaluate(style, [sel, "backgroundColor"])) < 0.25, sel
    for sel in ("body", "#messages li .subject", "#text", "#reply"):
        assert luminance(page.evaluate(style, [sel, "color"])) > 0.6, sel
    page.screenshot(path=str(artifacts(tmp_path) / "client-dark.png"))
    page.emulate_media(color_scheme="light")
    assert luminance(page.evaluate(style, ["body", "backgroundColor"])) > 0.9


def test_delivered_over_smtp_the_transcript_is_headed_plainly(
    web_server: mailroom.Server, browser: Browser
) -> None:
    page = browser.page
    with smtplib.SMTP(*web_server.smtp_address) as c:
        c.sendmail(CAROL, [BOB], mail("By SMTP"))
    page.goto(web_server.http_url + "/")
    open_folder(page, BOB, "INBOX")
    open_row(page, "By SMTP")
    page.click("#tab-transcript")
    wait_until(page, "document.querySelector('#transcript-about').textContent.length > 0")
    about = page.text_content("#transcript-about") or ""
    assert about.startswith("SMTP from 127.0.0.1:")
    assert str(dt.datetime.now().year) in about
