"""The web mail client (python/mailroom/web) in Debian's headless Chromium:
the folder tree, the paged and threaded list, the reader, flags, move and
delete checked on the server's store, search, live updates, keyboard
shortcuts and a 360 px screen. Nothing is fetched from anywhere but the
server (tests/browser.py refuses and counts every other request)."""

from __future__ import annotations

import smtplib
from pathlib import Path
from typing import Any

import mailroom

from .browser import Browser, artifacts, chromium, open_folder, wait_until

BOB = "bob@example.test"


def mail(subject: str, sender: str = "Alice <alice@example.test>", to: str = BOB,
         mid: str = "", refs: str = "", body: str = "", date: str = "") -> bytes:  # fmt: skip
    head = f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n"
    if mid:
        head += f"Message-ID: <{mid}>\r\n"
    if refs:
        head += f"In-Reply-To: <{refs.split()[-1]}>\r\nReferences: "
        head += " ".join(f"<{r}>" for r in refs.split()) + "\r\n"
    if date:
        head += f"Date: {date}\r\n"
    return (head + "\r\n" + (body or f"About {subject}.") + "\r\n").encode()


def folder_button(page: Any, account: str, folder: str) -> Any:
    return page.locator(f'#tree button[data-account="{account}"][data-folder="{folder}"]')


def flags(s: mailroom.Server, account: str, folder: str) -> list[frozenset[str]]:
    return [m.flags for m in s.account(account).folder(folder).messages()]


def test_new_mail_appears_live_with_counts(web_server: mailroom.Server, browser: Browser,
                                           tmp_path: Path) -> None:  # fmt: skip
    page = browser.page
    web_server.account(BOB).inbox.append(mail("Earlier"), flags=["\\Seen"])
    page.goto(web_server.http_url + "/")
    page.wait_for_selector("#live.online")
    open_folder(page, BOB, "INBOX")
    assert page.locator("#messages li").count() == 1
    inbox = folder_button(page, BOB, "INBOX")
    assert "0 unread of 1" in (inbox.get_attribute("aria-label") or "")
    with smtplib.SMTP(*web_server.smtp_address) as c:
        c.sendmail("carol@example.test", [BOB], mail("Fresh news", "Carol <carol@example.test>"))
    page.wait_for_selector("#messages li.unread")
    assert page.locator("#messages li").first.locator(".subject").text_content() == "Fresh news"
    wait_until(
        page,
        "document.querySelector('#tree [data-folder=INBOX][data-account=\"bob@example.test\"]')"
        ".getAttribute('aria-label')"
        ".includes('1 unread of 2')",
    )
    wait_until(page, "document.querySelector('#counts').textContent === '2 messages, 1 unread'")
    assert page.text_content("#range") == "1–2 of 2 messages"
    page.screenshot(path=str(artifacts(tmp_path) / "client-list.png"))


def test_a_move_by_imap_into_the_folder_shown_appears_live(browser: Browser) -> None:
    import imaplib

    with mailroom.Server(http_port=0, imap_port=0) as s:
        bob = s.account(BOB)
        bob.folder("Archive").append(mail("Old and read"), flags=["\\Seen"])
        bob.create_folder("Projects").append(mail("To be archived"))  # no INBOX: no Mailpit event
        page = browser.page
        page.goto(s.http_url + "/")
        page.wait_for_selector("#live.online")
        open_folder(page, BOB, "Archive")
        assert page.locator("#messages li").count() == 1
        archive = folder_button(page, BOB, "Archive")
        assert "0 unread of 1" in (archive.get_attribute("aria-label") or "")
        with imaplib.IMAP4(s.host, s.imap_port) as c:
            c.login(BOB, "any")
            c.select("Projects")
            assert c.uid("MOVE", "1:*", "Archive")[0] == "OK"
        # No reload: the list and the tree's count follow the event.
        page.wait_for_selector("#messages li.unread")
        assert page.locator("#messages li").count() == 2
        wait_until(
            page,
            "document.querySelector('#tree [data-folder=Archive]"
            "[data-account=\"bob@example.test\"]').getAttribute('aria-label')"
            ".includes('1 unread of 2')",
        )


def test_folder_tree_flags_move_and_delete_reach_the_store(
    web_server: mailroom.Server, browser: Browser, tmp_path: Path
) -> None:
    page = browser.page
    bob = web_server.account(BOB)
    bob.create_folder("Projects")
    bob.create_folder("Projects/2026")
    bob.inbox.append(mail("Quarterly report", body="Numbers attached.\r\nSee you."))
    page.goto(web_server.http_url + "/")
    # Special-use roles, nested folders, unread counts.
    trash = folder_button(page, BOB, "Trash")
    assert trash.get_attribute("data-role") == "\\Trash"
    assert "(trash)" in (trash.get_attribute("aria-label") or "")
    assert folder_button(page, BOB, "Sent").get_attribute("data-role") == "\\Sent"
    nested = folder_button(page, BOB, "Projects/2026")
    assert nested.locator(".name").text_content() == "2026"
    assert (
        nested.locator("xpath=ancestor::li[2]").locator(".name").first.text_content() == "Projects"
    )
    open_folder(page, BOB, "INBOX")
    page.click("#messages li")
    page.wait_for_selector("#message:not([hidden])")
    assert page.text_content("#subject") == "Quarterly report"
    assert "Numbers attached." in (page.text_content("#text") or "")
    wait_until(page, "!document.querySelector('#messages li.unread')")
    assert flags(web_server, BOB, "INBOX") == [frozenset({"\\Seen"})]
    page.click("#toggle-read")
    page.wait_for_selector("#messages li.unread")
    assert flags(web_server, BOB, "INBOX") == [frozenset()]
    page.click("#toggle-flag")
    page.wait_for_selector("#messages li.flagged")
    assert flags(web_server, BOB, "INBOX") == [frozenset({"\\Flagged"})]
    page.screenshot(path=str(artifacts(tmp_path) / "client-reader.png"))
    page.select_option("#move-to", "Projects/2026")
    page.wait_for_selector("#empty:not([hidden])")
    assert len(bob.inbox) == 0 and len(bob.folder("Projects/2026")) == 1
    wait_until(
        page,
        "document.querySelector('#tree [data-folder=\"Projects/2026\"]')"
        ".classList.contains('has-unread')",
    )
    open_folder(page, BOB, "Projects/2026")
    page.click("#messages li")
    page.wait_for_selector("#message:not([hidden])")
    # Source and attachments of a message outside INBOX come by its ID too.
    page.click("#tab-raw")
    wait_until(page, "document.querySelector('#raw').textContent.includes('Subject: Quarterly')")
    page.click("#delete")  # to Trash
    page.wait_for_selector("#empty:not([hidden])")
    assert len(bob.folder("Projects/2026")) == 0 and len(bob.folder("Trash")) == 1
    open_folder(page, BOB, "Trash")
    page.click("#messages li")
    page.wait_for_selector("#message:not([hidden])")
    page.click("#delete")  # in Trash: for good
    page.wait_for_selector("#empty:not([hidden])")
    assert len(bob.folder("Trash")) == 0


def test_paging_sorting_and_threads(web_server: mailroom.Server, browser: Browser) -> None:
    page = browser.page
    inbox = web_server.account(BOB).inbox
    for i in range(120):
        inbox.append(mail(f"Note {i:03d}", mid=f"n{i}@x"), internal_date=1_700_000_000 + i)
    inbox.append(mail("Re: Note 005", "Dave <dave@example.test>", mid="r1@x", refs="n5@x"),
                 internal_date=1_700_001_000)  # fmt: skip
    inbox.append(
        mail("Re: Re: Note 005", mid="r2@x", refs="n5@x r1@x"), internal_date=1_700_002_000
    )
    page.goto(web_server.http_url + "/")
    open_folder(page, BOB, "INBOX")
    rows = page.locator("#messages li")
    assert rows.count() == 50
    assert rows.first.locator(".subject").text_content() == "Re: Re: Note 005"  # newest first
    assert page.text_content("#range") == "1–50 of 122 messages"
    assert page.is_disabled("#prev")
    page.click("#next")
    wait_until(page, "document.querySelector('#range').textContent.startsWith('51–100')")
    page.click("#next")
    wait_until(page, "document.querySelector('#range').textContent === '101–122 of 122 messages'")
    assert rows.count() == 22 and page.is_disabled("#next")
    assert rows.last.locator(".subject").text_content() == "Note 000"
    page.click("#prev")
    wait_until(page, "document.querySelector('#range').textContent.startsWith('51–100')")
    page.select_option("#sort", "subject")
    wait_until(page, "document.querySelector('#range').textContent.startsWith('1–50')")
    assert rows.first.locator(".subject").text_content() == "Note 119"  # Z first
    page.click("#order")
    wait_until(page, "document.querySelector('#messages li .subject').textContent === 'Note 000'")
    # Threads: the two replies under Note 005, in the thread with the newest message.
    page.check("#threaded")
    wait_until(page, "document.querySelector('#range').textContent === '1–50 of 120 threads'")
    first = [(r.get_attribute("data-depth"), r.locator(".subject").text_content())
             for r in rows.all()[:3]]  # fmt: skip
    assert first == [("0", "Note 005"), ("1", "Re: Note 005"), ("2", "Re: Re: Note 005")]
    assert page.is_disabled("#sort")


def test_search_every_inbox(web_server: mailroom.Server, browser: Browser) -> None:
    page = browser.page
    web_server.account(BOB).inbox.append(mail("Invoice 42", "billing@shop.test"))
    web_server.account("carol@example.test").inbox.append(mail("Invoice 43", "billing@shop.test",
                                                           to="carol@example.test"))  # fmt: skip
    web_server.account(BOB).inbox.append(mail("Party", "dave@example.test"))
    page.goto(web_server.http_url + "/")
    page.fill("#query", "subject:invoice")
    page.press("#query", "Enter")
    wait_until(page, "document.querySelector('#list-note').textContent.includes('2 found')")
    subjects = page.locator("#messages li .subject").all_text_contents()
    assert sorted(subjects) == ["Invoice 42", "Invoice 43"]
    assert "INBOX of every account" in (page.text_content("#list-note") or "")
    page.fill("#query", "-from:billing@shop.test")
    page.press("#query", "Enter")
    wait_until(page, "document.querySelectorAll('#messages li').length === 1")
    assert page.locator("#messages li .subject").all_text_contents() == ["Party"]


def test_keyboard_shortcuts(web_server: mailroom.Server, browser: Browser) -> None:
    page = browser.page
    for subject in ("One", "Two", "Three"):
        web_server.account(BOB).inbox.append(mail(subject))
    page.goto(web_server.http_url + "/")
    open_folder(page, BOB, "INBOX")
    page.locator("#messages li").first.focus()
    page.keyboard.press("j")
    assert page.evaluate("document.activeElement.querySelector('.subject').textContent") == "Two"
    page.keyboard.press("Enter")
    wait_until(page, "document.querySelector('#subject').textContent === 'Two'")
    page.keyboard.press("j")  # reading: the next one opens
    wait_until(page, "document.querySelector('#subject').textContent === 'One'")
    page.keyboard.press("k")
    wait_until(page, "document.querySelector('#subject').textContent === 'Two'")
    page.keyboard.press("s")
    page.wait_for_selector("#messages li.flagged")
    assert flags(web_server, BOB, "INBOX")[1] == frozenset({"\\Seen", "\\Flagged"})
    page.keyboard.press("#")
    wait_until(page, "document.querySelectorAll('#messages li').length === 2")
    assert len(web_server.account(BOB).folder("Trash")) == 1
    page.keyboard.press("u")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "query"
    page.keyboard.press("Escape")
    page.keyboard.press("?")
    page.wait_for_selector("#help[open]")
    assert "next / previous message" in (page.text_content("#shortcuts") or "")
    page.keyboard.press("Escape")
    page.wait_for_selector("#help", state="hidden")


def test_360_px_one_pane_at_a_time(web_server: mailroom.Server, tmp_path: Path) -> None:
    web_server.account(BOB).inbox.append(mail("Small screen", body="Short lines.\r\n" * 3))
    with chromium(360, 640) as b:
        page = b.page
        page.goto(web_server.http_url + "/")
        page.wait_for_selector("#messages li")
        assert not page.is_visible("#folders") and page.is_visible("#list")
        assert not page.is_visible("#reader")
        page.click("#show-folders")
        assert page.is_visible("#folders") and not page.is_visible("#list")
        open_folder(page, BOB, "INBOX")
        assert not page.is_visible("#folders") and page.is_visible("#list")
        page.click("#messages li")
        page.wait_for_selector("#message:not([hidden])")
        assert page.is_visible("#reader") and not page.is_visible("#list")
        # Nothing wider than the screen.
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.screenshot(path=str(artifacts(tmp_path) / "client-360-reader.png"))
        page.click("#back")
        assert page.is_visible("#list") and not page.is_visible("#reader")
        assert b.errors == [] and b.outside == []


def test_list_keeps_its_width_when_a_message_opens(
    web_server: mailroom.Server, browser: Browser
) -> None:
    page = browser.page
    web_server.account(BOB).inbox.append(mail("Wide " + "word " * 40))
    page.goto(web_server.http_url + "/")
    page.wait_for_selector("#messages li")
    before = page.evaluate("document.querySelector('#list').getBoundingClientRect().width")
    page.click("#messages li")
    page.wait_for_selector("#message:not([hidden])")
    after = page.evaluate("document.querySelector('#list').getBoundingClientRect().width")
    assert before == after


def test_reader_attachments_links_and_codes(web_server: mailroom.Server, browser: Browser) -> None:
    page = browser.page
    raw = (
        b"From: shop@example.test\r\nTo: bob@example.test\r\nSubject: Your code\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        b"--b\r\nContent-Type: text/plain\r\n\r\nYour code is 483920.\r\n"
        b"Confirm at https://shop.example.test/confirm?x=1\r\n"
        b"--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; "
        b"filename=receipt.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        b"JVBERi0xLjQKJcOkw7zDtsOfCg==\r\n--b--\r\n"
    )
    web_server.account(BOB).inbox.append(raw)
    page.goto(web_server.http_url + "/")
    row = page.wait_for_selector("#messages li")
    assert row.query_selector(".clip") is not None
    assert "1 attachment" in (row.get_attribute("aria-label") or "")
    row.click()
    page.wait_for_selector("#message:not([hidden])")
    link = page.locator("#attachments a")
    assert link.text_content() == "receipt.pdf"
    assert "application/pdf, 19 B" in (page.text_content("#attachments") or "")
    with page.expect_download() as download:
        link.click()
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF-1.4")
    page.click("#tab-links")
    wait_until(page, "document.querySelector('#codes code')")
    assert page.locator("#codes code").all_text_contents() == ["483920"]
    assert page.locator("#links a").all_text_contents() == ["https://shop.example.test/confirm?x=1"]


def test_one_api_function_sends_csrf_and_goes_to_login_on_401(
    web_server: mailroom.Server, browser: Browser
) -> None:
    page = browser.page
    web_server.account(BOB).inbox.append(mail("Token"))
    host = web_server.http_url.split("//")[1].split(":")[0]
    browser.context.add_cookies([{"name": "mailroom_csrf", "value": "t0k3n", "domain": host,
                                  "path": "/"}])  # fmt: skip
    sent: list[tuple[str, str, str | None]] = []
    page.on("request", lambda r: sent.append((r.method, r.url, r.headers.get("x-csrf-token"))))
    page.goto(web_server.http_url + "/")
    open_folder(page, BOB, "INBOX")
    page.click("#messages li")
    page.wait_for_selector("#message:not([hidden])")
    wait_until(page, "!document.querySelector('#messages li.unread')")
    changes = [s for s in sent if s[0] == "PUT"]
    assert changes and all(token == "t0k3n" for _, _, token in changes)
    assert all(token == "t0k3n" for _, url, token in sent if "/api/" in url and "events" not in url)
    # A 401 from any call sends the user to the login page, to come back here.
    from playwright.sync_api import Error as PlaywrightError  # the fixture has it

    page.route("**/api/mailroom/accounts", lambda r: r.fulfill(status=401, body='{"Error": "x"}'))
    # The flag change's own live refresh asks for the accounts too, so the page
    # may be on its way to the login page before the click is done: a click
    # whose page went away is no failure; where the page ends up is the test.
    try:
        page.click("#toggle-flag", no_wait_after=True, timeout=5000)
    except PlaywrightError:
        pass
    page.wait_for_url("**/login?next=*")
    assert page.url.endswith("/login?next=%2F")
