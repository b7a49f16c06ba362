"""The web mail client's screenshot in the README (docs/webmail.png): a
throwaway server with a small mailbox (a thread, a flagged message, an
attachment), shown in Debian's headless Chromium with the browser tests'
setup (tests/browser.py: nothing fetched from anywhere but the server).

Run:  python tools/webmail_screenshot.py [--out docs/webmail.png]
"""

from __future__ import annotations

import argparse
import datetime as _dt
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser import chromium, wait_until  # noqa: E402

import mailroom  # noqa: E402

ME = "robin@example.test"
DAY = "Tue, 1 Dec 2026 {} +0000"


def message(subject: str, sender: str, when: str, body: str, mid: str, refs: str = "",
            attachment: bool = False) -> bytes:  # fmt: skip
    head = (
        f"From: {sender}\r\nTo: Robin <{ME}>\r\nSubject: {subject}\r\nDate: {DAY.format(when)}\r\n"
        f"Message-ID: <{mid}@example.test>\r\n"
    )
    if refs:
        ids = " ".join(f"<{r}@example.test>" for r in refs.split())
        head += f"In-Reply-To: <{refs.split()[-1]}@example.test>\r\nReferences: {ids}\r\n"
    if not attachment:
        return (head + "\r\n" + body).encode()
    return (
        head + "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        f"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
        "--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; "
        "filename=agenda.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        "JVBERi0xLjQKJcOkw7zDtsOfCjEgMCBvYmoKPDw+PgplbmRvYmoK\r\n--b--\r\n"
    ).encode()


MAILBOX = [
    ("Welcome to mailroom", "mailroom <postmaster@example.test>", "08:02:00",
     "Your mailbox is ready.", "w1", "", False, {"\\Seen"}),
    ("Design review on Thursday", "Ana Lima <ana@example.test>", "09:14:00",
     "Hi Robin,\r\n\r\nthe agenda for Thursday is attached. Can you take the\r\n"
     "storage section?\r\n\r\nAna", "d1", "", True, {"\\Seen", "\\Flagged"}),
    ("Re: Design review on Thursday", "Robin <robin@example.test>", "09:40:00",
     "Yes, I will take it.", "d2", "d1", False, {"\\Seen"}),
    ("Re: Design review on Thursday", "Ana Lima <ana@example.test>", "10:05:00",
     "Thanks! I moved it to 15:00 so Kenji can join.", "d3", "d1 d2", False, set()),
    ("Your code is 482913", "Shop <no-reply@shop.example.test>", "11:20:00",
     "Use 482913 to confirm your sign-in. It expires in 10 minutes.", "c1", "", False, set()),
    ("Invoice 2026-118", "Billing <billing@example.test>", "12:48:00",
     "Your invoice for November is ready.", "i1", "", False, {"\\Seen"}),
    ("Lunch?", "Kenji Sato <kenji@example.test>", "13:31:00",
     "Noodles at 12:30 tomorrow?", "l1", "", False, set()),
]  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", default=str(ROOT / "docs" / "webmail.png"))
    args = p.parse_args()
    with mailroom.Server(http_port=0) as server:
        account = server.account(ME)
        account.create_folder("Projects")
        account.create_folder("Projects/Storage")
        for subject, sender, when, body, mid, refs, att, flags in MAILBOX:
            raw = message(subject, sender, when, body, mid, refs, att)
            h, m, sec = (int(x) for x in when.split(":"))
            at = _dt.datetime(2026, 12, 1, h, m, sec, tzinfo=_dt.timezone.utc)
            account.inbox.append(raw, flags=flags, internal_date=at)
        with chromium(1280, 720) as b:
            page = b.page
            page.goto(server.http_url + "/")
            page.click(f'#tree button[data-account="{ME}"][data-folder="INBOX"]')
            page.check("#threaded")
            wait_until(page, "document.querySelector('#range').textContent.includes('threads')")
            page.locator("#messages li", has_text="the agenda for Thursday").click()
            page.wait_for_selector("#attachments a")
            page.screenshot(path=args.out)
            assert b.errors == [] and b.outside == [], (b.errors, b.outside)
    print(args.out)


if __name__ == "__main__":
    main()
