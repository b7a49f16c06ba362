"""The web mail client by keyboard alone and on a 360 px phone, in Debian's
headless Chromium: the ? list names the shortcuts the page really has, and
each does what it says; arrows move in the list, the folder tree and the
reader's tabs; Escape closes compose (kept in Drafts), the folders and the
help (which gives the keyboard back); focus is visible; at 360 px the
reader's controls fit the screen and back returns to the row."""

from __future__ import annotations

from typing import Any

import mailroom

from .browser import Browser, chromium, open_folder, wait_until

BOB = "bob@example.test"


def mail(subject: str) -> bytes:
    return (
        f"From: Carol <carol@example.test>\r\nTo: {BOB}\r\nSubject: {subject}\r\n\r\nx\r\n".encode()
    )


def focused(page: Any, expression: str = "document.activeElement.id") -> Any:
    return page.evaluate(expression)


def subject_of_focused_row(page: Any) -> Any:
    return page.evaluate(
        "document.activeElement.closest('#messages li')?.querySelector('.subject')?.textContent"
    )


def test_the_help_lists_the_real_shortcuts_and_each_works(
    web_server: mailroom.Server, browser: Browser
) -> None:
    page = browser.page
    inbox = web_server.account(BOB).inbox
    for subject in ("One", "Two", "Three"):
        inbox.append(mail(subject))
    page.goto(web_server.http_url + "/")
    open_folder(page, BOB, "INBOX")
    page.locator("#messages li").first.focus()
    page.keyboard.press("?")
    page.wait_for_selector("#help[open]")
    listed = page.locator("#shortcuts dt").all_text_contents()
    assert listed == [
        "j or k", "↓ / ↑", "o or Enter", "u", "Escape", "r", "a", "f", "c", "s", "Shift+U", "m",
        "# or Delete", "/", "?",
    ]  # fmt: skip
    page.keyboard.press("Escape")
    page.wait_for_selector("#help", state="hidden")
    assert subject_of_focused_row(page) == "Three"  # the keyboard is back where it was
    # Arrows move in the list as j and k do; the focused row is outlined.
    page.keyboard.press("ArrowDown")
    assert subject_of_focused_row(page) == "Two"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    page.keyboard.press("Enter")
    wait_until(page, "document.querySelector('#subject').textContent === 'Two'")
    wait_until(page, "!document.querySelector('#messages li.current.unread')")
    # Shift+U: unread again, in the store too.
    page.keyboard.press("Shift+U")
    page.wait_for_selector("#messages li.current.unread")
    wait_until(page, "document.querySelector('#toggle-read').textContent === 'Mark read'")
    assert "\\Seen" not in inbox.messages()[1].flags
    # m: the Move menu takes the keyboard.
    page.locator("#text").click()
    page.keyboard.press("m")
    assert focused(page) == "move-to"
    page.keyboard.press("Escape")
    page.locator("#text").click()
    # Delete: to Trash, and the next message opens.
    page.keyboard.press("Delete")
    wait_until(page, "document.querySelectorAll('#messages li').length === 2")
    wait_until(page, "document.querySelector('#subject').textContent === 'One'")
    assert len(web_server.account(BOB).folder("Trash")) == 1
    # c, then Escape: compose closes; what was typed is kept in Drafts.
    page.keyboard.press("c")
    page.wait_for_selector("#compose")
    page.keyboard.type("carol@example.test")
    page.keyboard.press("Escape")
    page.wait_for_selector("#compose", state="hidden")
    wait_until(page, "document.querySelector('#toast').textContent === 'Draft saved.'")
    assert len(web_server.account(BOB).folder("Drafts")) == 1


def test_arrows_in_the_folder_tree_and_the_reader_tabs(
    web_server: mailroom.Server, browser: Browser
) -> None:
    page = browser.page
    web_server.account(BOB).inbox.append(mail("Tabs"))
    page.goto(web_server.http_url + "/")
    page.wait_for_selector("#messages li")
    inbox = f'#tree button[data-account="{BOB}"][data-folder="INBOX"]'
    page.focus(inbox)
    page.keyboard.press("ArrowDown")
    assert focused(page, "document.activeElement.dataset.folder") == "Drafts"
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")  # the button's own: the folder opens
    wait_until(
        page, "document.querySelector('#messages').dataset.shown === 'INBOX — bob@example.test'"
    )
    page.locator("#messages li").first.focus()
    page.keyboard.press("o")
    page.wait_for_selector("#message:not([hidden])")
    page.focus("#tab-text")
    page.keyboard.press("ArrowRight")
    assert focused(page) == "tab-raw"
    assert page.get_attribute("#tab-raw", "aria-selected") == "true"
    wait_until(page, "document.querySelector('#raw').textContent.includes('Subject: Tabs')")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")  # round to the last tab
    assert focused(page) == "tab-links"


def test_360_px_by_keyboard_and_touch(web_server: mailroom.Server) -> None:
    web_server.account(BOB).inbox.append(mail("A subject that is rather long for a phone screen"))
    web_server.account(BOB).create_folder("Receipts and invoices from the year 2026, all of them")
    with chromium(360, 740) as b:
        page = b.page
        page.goto(web_server.http_url + "/")
        page.wait_for_selector("#messages li")
        # The folders open over the list, and Escape closes them.
        page.click("#show-folders")
        assert page.is_visible("#folders") and not page.is_visible("#list")
        page.keyboard.press("Escape")
        assert page.is_visible("#list") and not page.is_visible("#folders")
        page.locator("#messages li").first.click()
        page.wait_for_selector("#message:not([hidden])")
        # Every control of the reader within the screen, nothing to scroll sideways.
        rights = page.evaluate(
            "[...document.querySelectorAll('#reader-tools > *')]"
            ".map(e => e.getBoundingClientRect().right)"
        )
        assert rights and max(rights) <= 360, rights
        reader = "document.querySelector('#reader')"
        assert page.evaluate(f"{reader}.scrollWidth <= {reader}.clientWidth")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        # Back returns to the list with the keyboard on the row that was open.
        page.click("#back")
        assert page.is_visible("#list") and not page.is_visible("#reader")
        assert subject_of_focused_row(page) == "A subject that is rather long for a phone screen"
        # Compose fills the screen, and Escape brings the list back.
        page.keyboard.press("c")
        page.wait_for_selector("#compose")
        assert page.is_visible("#c-send") and page.is_visible("#c-body")
        box = page.locator("#c-body").bounding_box()
        assert box is not None and box["x"] + box["width"] <= 360
        page.keyboard.press("Escape")
        page.wait_for_selector("#list")
        assert page.is_visible("#list") and not page.is_visible("#compose")
        assert b.errors == [] and b.outside == []
