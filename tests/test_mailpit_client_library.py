"""A third-party client of Mailpit's REST API, pytest-mailpit (PyPI), unchanged,
against mailroom's server: its MailpitClient lists, reads, searches, waits
for, tags, marks read and unread, and deletes; its pytest fixtures
(``mailpit``, ``mailpit_inbox``) run in a pytest of their own pointed at
mailroom with ``--mailpit-url``, as a project that tests its mail with
Mailpit would, changing only the URL."""

from __future__ import annotations

import smtplib
import subprocess
import sys
import textwrap
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

import mailroom

from .conftest import require_module


@pytest.fixture
def server() -> Any:
    with mailroom.Server(http_port=0) as s:
        yield s


@pytest.fixture
def client(server: mailroom.Server) -> Any:
    pytest_mailpit = require_module("pytest_mailpit")
    with pytest_mailpit.MailpitClient(
        server.http_url + "/", wait_timeout=10, poll_interval=0.05
    ) as c:
        yield c


def deliver(s: mailroom.Server, to: str, subject: str, body: str = "Hi", **fields: str) -> None:
    m = EmailMessage()
    m["From"] = fields.pop("sender", "Shop <noreply@shop.test>")
    m["To"] = to
    m["Subject"] = subject
    for name, value in fields.items():
        m[name.replace("_", "-")] = value
    m.set_content(body + "\n")
    m.add_alternative(f"<p>{body}</p><a href='https://shop.test/confirm?t=1'>confirm</a>", "html")
    with smtplib.SMTP(*s.smtp_address) as c:
        c.send_message(m, to_addrs=[to])


def test_list_get_and_parts(server: mailroom.Server, client: Any) -> None:
    deliver(server, "ann@example.test", "Welcome", "Your code is 482913")
    deliver(server, "ben@example.test", "Receipt", X_Tags="billing")
    info = client.info()
    assert (info.version, info.messages, info.unread) == (mailroom.__version__, 2, 2)
    assert info.tags == {"billing": 1}
    assert client.is_ready()
    page = client.messages(limit=1)
    assert (page.total, page.unread, page.messages_count) == (2, 2, 2)
    [newest] = page.messages
    assert newest.subject == "Receipt" and newest.tags == ("billing",)
    assert newest.to[0].address == "ben@example.test" and newest.sender.name == "Shop"
    assert [m.subject for m in client.messages(start=1).messages] == ["Welcome"]
    welcome = client.get_message(client.messages(start=1).messages[0].id)
    assert welcome.subject == "Welcome" and welcome.text.strip() == "Your code is 482913"
    assert welcome.code() == "482913"
    assert welcome.link("confirm") == "https://shop.test/confirm?t=1"
    assert client.messages().unread == 1  # fetching it marked it read, as in Mailpit
    assert client.get_headers(welcome.id)["Subject"] == ["Welcome"]
    raw = client.get_raw(welcome.id)
    assert raw == server.messages[0].raw
    assert client.get_message("latest").id == newest.id
    assert client.html_url(welcome.id).endswith(f"/view/{welcome.id}.html")


def test_attachments_are_fetched_by_part(server: mailroom.Server, client: Any) -> None:
    m = EmailMessage()
    m["From"] = "shop@shop.test"
    m["To"] = "ann@example.test"
    m["Subject"] = "Your invoice"
    m.set_content("Attached.\n")
    m.add_attachment(b"%PDF-1.4 invoice", maintype="application", subtype="pdf", filename="inv.pdf")
    with smtplib.SMTP(*server.smtp_address) as c:
        c.send_message(m)
    message = client.wait_for_message(recipient="ann@example.test", subject="invoice")
    attachment = message.attachment("inv*.pdf", content_type="application/pdf")
    assert attachment.size == len(b"%PDF-1.4 invoice")
    assert client.get_attachment(attachment) == b"%PDF-1.4 invoice"


def test_search_and_wait(server: mailroom.Server, client: Any) -> None:
    since = client.server_time()
    deliver(server, "ann@example.test", "Reset your password")
    deliver(server, "ben@example.test", "Reset your password")
    deliver(server, "ann@example.test", "Newsletter", sender="news@news.test")
    found = client.search('subject:"reset your"')
    assert found.messages_count == 2
    assert {m.to[0].address for m in client.search_all("reset")} == {
        "ann@example.test",
        "ben@example.test",
    }
    # Exactly one to ann about a reset, by Mailpit's addressed: search.
    reset = client.wait_for_message(recipient="ann@example.test", subject="reset", since=since)
    assert reset.subject == "Reset your password"
    assert client.wait_for_message(sender="news@news.test").subject == "Newsletter"
    [one, two] = client.wait_for_messages(2, subject="reset your password")
    assert one.to[0].address != two.to[0].address
    client.assert_no_message(recipient="carl@example.test", within=0.3)
    later = client.server_time() + timedelta(seconds=5)
    client.assert_no_message(recipient="ann@example.test", since=later, within=0.2)
    with pytest.raises(AssertionError, match="Expected 1 message"):
        client.wait_for_message(subject="reset", timeout=0.2)  # two match


def test_tags_read_status_and_deletion(server: mailroom.Server, client: Any) -> None:
    for who in ("ann", "ben", "cat"):
        deliver(server, f"{who}@example.test", f"for {who}")
    ids = {m.to[0].address.split("@")[0]: m.id for m in client.messages().messages}
    client.set_tags([ids["ann"], ids["ben"]], ["vip"])
    assert {m.subject for m in client.search("tag:vip").messages} == {"for ann", "for ben"}
    client.set_tags([ids["ben"]], [])
    assert [m.subject for m in client.search("is:tagged").messages] == ["for ann"]
    client.mark_read([ids["ann"], ids["cat"]])
    assert client.messages().unread == 1
    client.mark_read([ids["cat"]], read=False)
    assert {m.subject for m in client.search("is:unread").messages} == {"for ben", "for cat"}
    client.delete_messages([ids["ann"]])
    assert client.messages().total == 2
    client.delete_messages([])  # nothing, not everything
    assert client.messages().total == 2
    client.delete_search("to:ben")
    assert [m.subject for m in client.messages().messages] == ["for cat"]
    client.delete_all()
    assert client.messages().total == 0 and len(server.messages) == 0


def test_chaos_through_the_client(server: mailroom.Server, client: Any) -> None:
    models = require_module("pytest_mailpit.models")
    off = client.chaos()
    assert not (off.sender.active or off.recipient.active or off.authentication.active)
    assert off.authentication.error_code == 535
    now = client.set_chaos(
        models.ChaosTriggers(sender=models.ChaosTrigger(error_code=452, probability=100))
    )
    assert now.sender.active and now.sender.error_code == 452
    with smtplib.SMTP(*server.smtp_address) as c, pytest.raises(smtplib.SMTPSenderRefused) as e:
        c.sendmail("a@shop.test", ["ann@example.test"], b"Subject: x\r\n\r\nx\r\n")
    assert e.value.smtp_code == 452
    assert not client.set_chaos(models.ChaosTriggers()).sender.active


PROJECT_TESTS = """
import smtplib

def send(mailpit_smtp, to, subject):
    with smtplib.SMTP(mailpit_smtp.host, mailpit_smtp.port) as c:
        c.sendmail("app@shop.test", [to], f"To: {to}\\r\\nSubject: {subject}\\r\\n\\r\\nhi\\r\\n")

def test_signup_mail(mailpit_inbox, mailpit_smtp):
    send(mailpit_smtp, mailpit_inbox.address, "Confirm your account")
    message = mailpit_inbox.wait_for_message(subject="Confirm")
    assert message.subject == "Confirm your account"
    assert [m.subject for m in mailpit_inbox.messages()] == ["Confirm your account"]

def test_nothing_for_a_fresh_inbox(mailpit_inbox):
    mailpit_inbox.assert_no_message(within=0.2)

def test_the_client_fixture(mailpit):
    assert mailpit.is_ready()
"""


def test_pytest_mailpits_fixtures_against_mailroom(server: mailroom.Server, tmp_path: Path) -> None:
    require_module("pytest_mailpit")
    (tmp_path / "test_app_mail.py").write_text(textwrap.dedent(PROJECT_TESTS))
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\nmailpit_smtp = {}:{}\nmailpit_poll_interval = 0.05\n".format(
            *server.smtp_address
        )
    )
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        + [f"--mailpit-url={server.http_url}/", "--mailpit-timeout=10", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "3 passed" in run.stdout
    # Each inbox's messages are deleted after its test, as pytest-mailpit does.
    assert server.messages == []
