"""The parser's lenient rules for mail as real archives hold it: a leading
``From `` envelope line, a broken line inside the header block, a multipart
whose boundary never appears, and message/delivery-status bodies as the header
blocks they are. Each is checked against Python's email (policy.default)."""

from __future__ import annotations

import email.policy
from email.parser import BytesParser

from mailroom import DeliveryReport, Message


def python_email(data: bytes) -> email.message.EmailMessage:
    em = BytesParser(policy=email.policy.default).parsebytes(data)
    assert isinstance(em, email.message.EmailMessage)
    return em


def kinds(msg: Message) -> list[str]:
    return [d.kind for d in msg.defects]


THUNDERBIRD = (
    b"From - Tue Dec  1 10:00:00 2026\r\n"
    b"X-Mozilla-Status: 0001\r\n"
    b"From: Alice <alice@example.org>\r\n"
    b"To: bob@example.net\r\n"
    b"Subject: exported\r\n"
    b"Date: Tue, 01 Dec 2026 10:00:00 +0000\r\n"
    b"\r\n"
    b"body\r\n"
)


def test_leading_from_line_is_the_envelope_not_the_end_of_the_headers() -> None:
    msg = Message.parse(THUNDERBIRD)
    assert msg.unix_from == "From - Tue Dec  1 10:00:00 2026"
    assert msg.subject == "exported"
    assert msg.sender is not None and msg.sender.address == "alice@example.org"
    assert [n for n, _ in msg.raw_headers] == ["X-Mozilla-Status", "From", "To", "Subject", "Date"]
    assert msg.text == "body\r\n"
    assert kinds(msg) == []
    assert bytes(msg) == THUNDERBIRD
    em = python_email(THUNDERBIRD)
    assert em.get_unixfrom() == msg.unix_from
    assert [k for k in em.keys()] == [n for n, _ in msg.raw_headers]


def test_mbox_envelope_line_with_colons_in_its_date() -> None:
    raw = b"From alice@example.org Mon Jan  5 09:15:00 2026\nFrom: a@example.org\nSubject: s\n\nx\n"
    msg = Message.parse(raw)
    assert msg.unix_from == "From alice@example.org Mon Jan  5 09:15:00 2026"
    assert msg.subject == "s"
    assert Message.parse(b"Subject: s\r\n\r\nx").unix_from is None


def test_line_without_colon_inside_the_header_block_is_a_defect_and_parsing_goes_on() -> None:
    raw = (
        b"From: alice@example.org\r\n"
        b"Subject: broken\r\n"
        b"this line has no colon\r\n"
        b"\tand a continuation\r\n"
        b"To: bob@example.net\r\n"
        b"Date: Tue, 01 Dec 2026 10:00:00 +0000\r\n"
        b"\r\n"
        b"body\r\n"
    )
    msg = Message.parse(raw)
    assert "invalid_header" in kinds(msg)
    assert msg.to[0].address == "bob@example.net"
    assert msg["Date"] is not None
    assert msg.text == "body\r\n"
    assert bytes(msg) == raw


def test_multipart_whose_boundary_never_appears_keeps_its_body_as_text() -> None:
    raw = (
        b"From: alice@example.org\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\n"
        b'Content-Type: multipart/mixed; boundary="never-there"\r\n\r\n'
        b"Just text, no parts.\r\n--other\r\nstill text\r\n"
    )
    msg = Message.parse(raw)
    assert not msg.is_multipart
    assert msg.content_type == "text/plain"
    assert msg.text == "Just text, no parts.\r\n--other\r\nstill text\r\n"
    assert "boundary_not_found" in kinds(msg)
    em = python_email(raw)  # Python keeps the body as a str payload too
    assert not em.is_multipart()
    assert em.get_payload(decode=True) == msg.data
    # a boundary seen, the close one missing: still a multipart (as before)
    raw2 = raw.replace(b"never-there", b"other")
    msg2 = Message.parse(raw2)
    assert msg2.is_multipart and "unterminated_multipart" in kinds(msg2)


DSN = (
    b"From: MAILER-DAEMON@mx.example.org\r\n"
    b"To: alice@example.org\r\n"
    b"Date: Tue, 01 Dec 2026 10:00:00 +0000\r\n"
    b"Subject: Undelivered Mail Returned to Sender\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/report; report-type=delivery-status; boundary="R"\r\n'
    b"\r\n"
    b"--R\r\n"
    b"Content-Type: text/plain\r\n\r\n"
    b"Your message could not be delivered.\r\n"
    b"--R\r\n"
    b"Content-Type: message/delivery-status\r\n\r\n"
    b"Reporting-MTA: dns; mx.example.org\r\n"
    b"Arrival-Date: Tue, 01 Dec 2026 09:59:00 +0000\r\n"
    b"\r\n"
    b"Final-Recipient: rfc822; bob@example.net\r\n"
    b"Action: failed\r\n"
    b"Status: 5.1.1\r\n"
    b"Diagnostic-Code: smtp; 550 5.1.1 <bob@example.net>:\r\n"
    b" Recipient address rejected\r\n"
    b"\r\n"
    b"Final-Recipient: rfc822; carol@example.net\r\n"
    b"Action: delayed\r\n"
    b"Status: 4.4.1\r\n"
    b"--R\r\n"
    b"Content-Type: text/rfc822-headers\r\n\r\n"
    b"From: alice@example.org\r\nSubject: hello\r\n"
    b"--R--\r\n"
)


def test_delivery_status_body_is_parsed_as_its_header_blocks() -> None:
    msg = Message.parse(DSN)
    (status,) = [p for p in msg.walk() if p.content_type == "message/delivery-status"]
    groups = status.children
    assert [g.raw_headers[0][0] for g in groups] == [
        "Reporting-MTA",
        "Final-Recipient",
        "Final-Recipient",
    ]
    assert groups[1]["Status"] == "5.1.1"
    assert groups[2]["Action"] == "delayed"
    assert all(g.data == b"" for g in groups)
    assert kinds(msg) == []
    assert bytes(msg) == DSN
    # Python's email: the same blocks, in order
    em = python_email(DSN)
    (py_status,) = [p for p in em.walk() if p.get_content_type() == "message/delivery-status"]
    py_groups = py_status.get_payload()
    assert [list(g.items()) for g in py_groups] == [
        [(n, str(v)) for n, v in g.headers] for g in groups
    ]
    # and the report reader reads the same values
    report = DeliveryReport.parse(DSN)
    assert [r.status for r in report.recipients] == ["5.1.1", "4.4.1"]
    # the text a reader sees is still the human part
    assert msg.text == "Your message could not be delivered."
