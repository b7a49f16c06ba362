"""Read receipts (RFC 8098): asking for one, writing one, reading one back
(mailroom's, and the shape Thunderbird sends), and sending it from <>."""

from __future__ import annotations

import email
import email.message
import email.policy
import smtplib

import pytest

import mailroom
from mailroom import DeliveryReport, Message

THUNDERBIRD_MDN = (
    b"From: Bob <bob@b.example>\r\n"
    b"To: alice@a.example\r\n"
    b"Subject: Return Receipt (displayed) - Lunch?\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: multipart/report; report-type=disposition-notification;\r\n"
    b' boundary="------------tb1"\r\n'
    b"\r\n"
    b"This is a multi-part message in MIME format.\r\n"
    b"--------------tb1\r\n"
    b"Content-Type: text/plain; charset=UTF-8\r\n"
    b"\r\n"
    b"This is a Return Receipt for the mail that you sent to bob@b.example.\r\n"
    b"--------------tb1\r\n"
    b"Content-Type: message/disposition-notification; name=MDNPart2.txt\r\n"
    b"Content-Disposition: inline\r\n"
    b"\r\n"
    b"Reporting-UA: mail.b.example; Thunderbird 115.0\r\n"
    b"Final-Recipient: rfc822;bob@b.example\r\n"
    b"Original-Message-ID: <lunch-1@a.example>\r\n"
    b"Disposition: manual-action/MDN-sent-manually; displayed\r\n"
    b"\r\n"
    b"--------------tb1\r\n"
    b"Content-Type: text/rfc822-headers; name=MDNPart3.txt\r\n"
    b"\r\n"
    b"Message-ID: <lunch-1@a.example>\r\nSubject: Lunch?\r\n"
    b"\r\n"
    b"--------------tb1--\r\n"
)


def asking() -> Message:
    return Message.build(
        sender="alice@a.example",
        to="bob@b.example",
        subject="Lunch?",
        text="At noon?",
        message_id="<lunch-1@a.example>",
        disposition_notification_to=("Alice", "alice@a.example"),
    )


def test_build_asks_and_mdn_answers() -> None:
    original = asking()
    assert original["Disposition-Notification-To"] == "<alice@a.example>"
    receipt = original.mdn(action="displayed", sending_mode="manually")
    assert receipt["From"] == "<bob@b.example>" and receipt["To"] == "<alice@a.example>"
    assert receipt["Subject"] == "Read: Lunch?"
    assert receipt["In-Reply-To"] == "<lunch-1@a.example>"
    assert "Auto-Submitted" not in receipt
    # Python's email reads it as RFC 8098 and RFC 6522 say.
    em = email.message_from_bytes(bytes(receipt), policy=email.policy.default)
    assert isinstance(em, email.message.EmailMessage)
    assert em.get_content_type() == "multipart/report"
    assert em.get_param("report-type") == "disposition-notification"
    text, status, headers = em.iter_parts()
    assert text.get_content_type() == "text/plain"
    assert status.get_content_type() == "message/disposition-notification"
    fields = dict(status.get_payload()[0].items())
    assert fields["Final-Recipient"] == "rfc822; bob@b.example"
    assert fields["Original-Message-ID"] == "<lunch-1@a.example>"
    assert fields["Disposition"] == "manual-action/MDN-sent-manually; displayed"
    assert headers.get_content_type() == "text/rfc822-headers"
    assert b"At noon?" not in bytes(receipt)
    # And the report reader reads it back.
    report = DeliveryReport.parse(receipt)
    assert report.kind == "disposition-notification"
    assert report.original_message_id == "<lunch-1@a.example>"
    assert report.disposition == mailroom.Disposition(
        "manual-action", "MDN-sent-manually", "displayed"
    )
    assert report.recipients[0].final_recipient == "bob@b.example"
    assert report.original is not None and report.original["Subject"] == "Lunch?"


def test_automatic_deleted_with_the_full_message() -> None:
    receipt = asking().mdn(
        "deleted", "automatically", final_recipient="robot@b.example", include="full"
    )
    assert receipt["Auto-Submitted"] == "auto-replied"
    assert receipt["Subject"] == "Disposition notification: deleted: Lunch?"
    report = DeliveryReport.parse(receipt)
    assert report.disposition is not None
    assert (report.disposition.action_mode, report.disposition.type) == (
        "automatic-action",
        "deleted",
    )
    assert report.disposition.sending_mode == "MDN-sent-automatically"
    assert report.original is not None and report.original.text == "At noon?\r\n"
    assert asking().mdn(include="none", text="Seen.").walk().__next__().children[0].text == (
        "Seen.\r\n"
    )


def test_mdn_refuses_what_it_cannot_write() -> None:
    plain = Message.build(sender="alice@a.example", to="bob@b.example", subject="x", text="y")
    with pytest.raises(ValueError, match="Disposition-Notification-To"):
        plain.mdn()
    assert plain.mdn(to="alice@a.example")["To"] == "<alice@a.example>"
    with pytest.raises(ValueError, match="disposition type"):
        asking().mdn(action="read")
    with pytest.raises(ValueError, match="sending_mode"):
        asking().mdn(sending_mode="eventually")
    with pytest.raises(ValueError, match="modifier"):
        asking().mdn(modifiers=["bad modifier"])
    # A line break in an address never becomes a header field of its own.
    try:
        injected = asking().mdn(final_recipient="bob@b.example\r\nBcc: eve@x.example")
    except ValueError:
        pass
    else:
        assert b"\r\nBcc:" not in bytes(injected)


def test_reads_a_thunderbird_receipt() -> None:
    report = DeliveryReport.parse(THUNDERBIRD_MDN)
    assert report.kind == "disposition-notification"
    assert report.reporting_mta == "mail.b.example"
    assert report.original_message_id == "<lunch-1@a.example>"
    assert report.recipients[0].final_recipient == "bob@b.example"
    assert report.recipients[0].action == "displayed"


def test_receipt_sent_from_the_null_sender() -> None:
    with mailroom.Server() as server:
        receipt = asking().mdn()
        with smtplib.SMTP(*server.smtp_address) as s:
            s.sendmail("", ["alice@a.example"], bytes(receipt), rcpt_options=["NOTIFY=SUCCESS"])
        got = server.wait_for(to="alice@a.example")
        assert got.envelope.mail_from == ""
        assert DeliveryReport.parse(got).disposition is not None
        assert len(server) == 1  # no DSN answers it
