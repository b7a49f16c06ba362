"""mailroom.Message: the Python API over the native parser and builder."""

from __future__ import annotations

import datetime as dt
import email
import email.header
import email.message
import email.policy
import email.utils
import subprocess
import sys
import threading
from email.parser import BytesParser
from pathlib import Path

import pytest

import mailroom
from mailroom import Address, Message

KOREAN_SUBJECT = "안녕하세요, 회의 자료입니다"

SIMPLE = (
    b"From: Alice Example <alice@example.org>\r\n"
    b'To: Bob <bob@example.net>, "Carol, C." <carol@example.net>\r\n'
    b"Cc: dave@example.net (Dave)\r\n"
    b"Subject: =?utf-8?B?7JWI64WV7ZWY7IS47JqU?=\r\n"
    b"Date: Sun, 22 Nov 2026 02:49:30 +0900\r\n"
    b"Message-ID: <1234@example.org>\r\n"
    b"X-Trace: one\r\n"
    b"X-Trace: two\r\n"
    b"\r\n"
    b"Hello Bob.\r\n"
)


def py_parse(data: bytes) -> email.message.EmailMessage:
    m = BytesParser(policy=email.policy.default).parsebytes(data)
    assert isinstance(m, email.message.EmailMessage)
    return m


# -- parsing ----------------------------------------------------------------------
def test_parse_round_trips_bytes_exactly() -> None:
    msg = Message.parse(SIMPLE)
    assert bytes(msg) == SIMPLE
    assert len(msg) == len(SIMPLE)


def test_parse_rejects_str_with_clear_type_error() -> None:
    with pytest.raises(TypeError, match="bytes, not str"):
        Message.parse(SIMPLE.decode())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="bytes"):
        Message.parse(12)  # type: ignore[arg-type]


def test_parse_accepts_bytearray_and_memoryview() -> None:
    assert bytes(Message.parse(bytearray(SIMPLE))) == SIMPLE
    assert bytes(Message.parse(memoryview(SIMPLE))) == SIMPLE


def test_bad_limit_options_raise_value_error() -> None:
    with pytest.raises(ValueError, match="max_depth"):
        Message.parse(SIMPLE, max_depth=0)


def test_headers_decoded_and_in_order() -> None:
    msg = Message.parse(SIMPLE)
    assert msg["Subject"] == "안녕하세요"
    assert msg["subject"] == "안녕하세요"
    assert msg.subject == "안녕하세요"
    assert msg["X-Missing"] is None
    assert msg.get("X-Missing", "d") == "d"
    assert msg.get_all("x-trace") == ["one", "two"]
    assert [n for n, _ in msg.headers] == [
        "From",
        "To",
        "Cc",
        "Subject",
        "Date",
        "Message-ID",
        "X-Trace",
        "X-Trace",
    ]
    assert "Subject" in msg and "Bcc" not in msg


def test_addresses() -> None:
    msg = Message.parse(SIMPLE)
    assert msg.sender == Address("Alice Example", "alice@example.org")
    assert [(a.display_name, a.address) for a in msg.to] == [
        ("Bob", "bob@example.net"),
        ("Carol, C.", "carol@example.net"),
    ]
    assert [a.address for a in msg.cc] == ["dave@example.net"]
    assert msg.bcc == []
    assert msg.sender is not None and msg.sender.domain == "example.org"
    assert str(msg.to[1]) == '"Carol, C." <carol@example.net>'


def test_date_is_aware_datetime() -> None:
    msg = Message.parse(SIMPLE)
    assert msg.date == dt.datetime(
        2026, 11, 22, 2, 49, 30, tzinfo=dt.timezone(dt.timedelta(hours=9))
    )
    assert msg.date is not None and msg.date.utcoffset() == dt.timedelta(hours=9)
    assert msg.message_id == "<1234@example.org>"


def test_missing_date_and_bad_date_are_none() -> None:
    assert Message.parse(b"Subject: x\r\n\r\nbody").date is None
    assert Message.parse(b"Date: not a date\r\n\r\nbody").date is None


def test_text_html_and_attachments() -> None:
    msg = Message.build(
        sender="alice@example.org",
        to=["bob@example.net"],
        subject="s",
        text="plain body",
        html="<p>html body</p>",
        attachments=[("a.bin", b"\x00\x01\x02" * 100, "application/octet-stream")],
    )
    assert msg.text is not None and msg.text.replace("\r\n", "\n").strip() == "plain body"
    assert msg.html is not None and "<p>html body</p>" in msg.html
    [att] = msg.attachments
    assert att.filename == "a.bin"
    assert att.content_type == "application/octet-stream"
    assert att.data == b"\x00\x01\x02" * 100
    assert att.size == 300
    assert att.is_attachment


def test_walk_descends_into_message_rfc822() -> None:
    inner = Message.build(sender="x@example.org", to="y@example.org", subject="inner", text="hi")
    outer = (
        b"From: a@example.org\r\nSubject: outer\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=BB\r\n\r\n"
        b"preamble\r\n--BB\r\nContent-Type: text/plain\r\n\r\nfirst\r\n"
        b"--BB\r\nContent-Type: message/rfc822\r\n\r\n"
        + bytes(inner)
        + b"\r\n--BB--\r\nepilogue\r\n"
    )
    msg = Message.parse(outer)
    types = [p.content_type for p in msg.walk()]
    assert types == ["multipart/mixed", "text/plain", "message/rfc822", "text/plain"]
    rfc822 = msg.parts[2]
    assert rfc822.is_message
    assert rfc822.as_message().subject == "inner"
    assert msg.parts[3].parent == rfc822
    assert msg.parts[3].depth == 2
    # A reader's body is the outer text, not the attached message's.
    assert msg.text is not None and msg.text.startswith("first")
    assert msg.preamble.startswith(b"preamble")
    assert msg.epilogue.startswith(b"epilogue")
    assert [p.content_type for p in msg.attachments] == ["message/rfc822"]


def test_part_properties() -> None:
    raw = (
        b"Content-Type: multipart/mixed; boundary=X\r\n\r\n"
        b"--X\r\nContent-Type: text/plain; charset=ISO-8859-1; format=flowed\r\n"
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\nZo=EB\r\n"
        b"--X\r\nContent-Type: application/pdf; name=doc.pdf\r\n"
        b"Content-Disposition: attachment;\r\n filename*=utf-8''%EC%82%AC%EC%A7%84.pdf\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--X--\r\n"
    )
    msg = Message.parse(raw)
    text, pdf = msg.children
    assert text.content_type == "text/plain"
    assert text.charset == "iso-8859-1"
    assert text.params["format"] == "flowed"
    assert text.transfer_encoding == "quoted-printable"
    assert text.text is not None and text.text.startswith("Zoë")
    assert text.data.startswith(b"Zo\xeb")
    assert not text.is_attachment
    assert pdf.filename == "사진.pdf"
    assert pdf.disposition == "attachment"
    assert pdf.data == b"%PDF-"
    assert pdf.text is None
    assert pdf.maintype == "application" and pdf.subtype == "pdf"
    assert "Part" in repr(pdf) and "사진.pdf" in repr(pdf)


def test_defects_listed_not_raised() -> None:
    raw = (
        b"Content-Type: multipart/mixed; boundary=X\r\n\r\n"
        b"--X\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!not base64***\r\n"
    )
    msg = Message.parse(raw)
    kinds = {d.kind for d in msg.defects}
    assert "unterminated_multipart" in kinds
    assert "bad_base64" in kinds
    assert "missing_header" in kinds
    assert all(str(d) for d in msg.defects)


def test_repr_and_html() -> None:
    msg = Message.parse(SIMPLE)
    r = repr(msg)
    assert "alice@example.org" in r and "안녕하세요" in r
    h = msg._repr_html_()
    assert "<table>" in h and "안녕하세요" in h
    assert "&lt;alice@example.org&gt;" in h  # header values are escaped
    assert "Hello Bob." in h


def test_to_email_and_from_email() -> None:
    msg = Message.parse(SIMPLE)
    em = msg.to_email()
    assert isinstance(em, email.message.EmailMessage)
    assert em["Subject"] == "안녕하세요"
    em2 = email.message.EmailMessage()
    em2["From"] = "Zoë <zoe@example.org>"
    em2["To"] = "bob@example.net"
    em2["Bcc"] = "secret@example.net"
    em2["Subject"] = KOREAN_SUBJECT
    em2.set_content("hello")
    back = Message.from_email(em2)
    assert back.subject == KOREAN_SUBJECT
    assert back.sender == Address("Zoë", "zoe@example.org")
    assert [a.address for a in back.bcc] == ["secret@example.net"]
    with pytest.raises(TypeError):
        Message.from_email(b"x")  # type: ignore[arg-type]


def test_parse_releases_gil_and_is_thread_safe() -> None:
    big = Message.build(
        sender="a@example.org",
        to="b@example.org",
        subject="big",
        attachments=[("x.bin", bytes(range(256)) * 40000, "application/octet-stream")],
    )
    data = bytes(big)
    results: list[bytes] = []

    def work() -> None:
        for _ in range(5):
            m = Message.parse(data)
            results.append(m.attachments[0].data)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 20
    assert all(r == bytes(range(256)) * 40000 for r in results)


# -- building ---------------------------------------------------------------------
def test_build_korean_subject_zoe_and_korean_filename(tmp_path) -> None:  # type: ignore[no-untyped-def]
    photo = tmp_path / "사진.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 50)
    msg = Message.build(
        sender=("Zoë", "zoe@example.org"),
        to=["Bob <bob@example.net>", Address("Carol", "carol@example.net")],
        cc="dave@example.net",
        bcc=["secret@example.net"],
        subject=KOREAN_SUBJECT,
        text="안녕 Bob, see the photo.\n" + "long line " * 30 + "\n",
        html="<p>안녕</p>",
        attachments=[photo, ("notes.txt", b"one\ntwo\n")],
        headers={"X-Mailer": "mailroom test", "Reply-To": "team@example.org"},
    )
    raw = bytes(msg)
    # The wire form: CRLF only, folded headers, no Bcc.
    assert b"\n" not in raw.replace(b"\r\n", b"")
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert all(len(line) <= 78 for line in head.split(b"\r\n"))
    assert b"Bcc" not in raw and b"secret@" not in raw
    assert raw.isascii()
    # Our view.
    assert msg.subject == KOREAN_SUBJECT
    assert msg.sender == Address("Zoë", "zoe@example.org")
    assert [a.address for a in msg.to] == ["bob@example.net", "carol@example.net"]
    assert [a.address for a in msg.bcc] == ["secret@example.net"]
    assert msg.date is not None and msg.message_id is not None
    assert msg["X-Mailer"] == "mailroom test"
    assert [a.filename for a in msg.attachments] == ["사진.jpg", "notes.txt"]
    assert msg.attachments[0].content_type == "image/jpeg"
    assert msg.attachments[0].data == photo.read_bytes()
    assert msg.attachments[1].content_type == "text/plain"
    assert [p.content_type for p in msg.walk()][:4] == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
    ]
    # Python's email agrees.
    em = py_parse(raw)
    assert em["Subject"] == KOREAN_SUBJECT
    assert em["From"].addresses[0].display_name == "Zoë"
    assert [p.get_filename() for p in em.iter_attachments()] == ["사진.jpg", "notes.txt"]
    body = em.get_body(preferencelist=("plain",))
    assert body is not None and "안녕 Bob" in body.get_content()
    assert em.get_body(preferencelist=("html",)).get_content().strip() == "<p>안녕</p>"  # type: ignore[union-attr]


def test_build_plain_text_only_is_single_part() -> None:
    msg = Message.build(sender="a@example.org", to="b@example.org", subject="hi", text="hello")
    assert msg.content_type == "text/plain"
    assert msg.charset == "utf-8"
    assert msg.parts == [msg]


def test_build_date_and_message_id_given() -> None:
    when = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    msg = Message.build(
        sender="a@example.org",
        to="b@example.org",
        text="x",
        date=when,
        message_id="<fixed@example.org>",
    )
    assert msg.date == when
    assert msg.message_id == "<fixed@example.org>"
    with pytest.raises(ValueError, match="aware"):
        Message.build(sender="a@example.org", date=dt.datetime(2026, 1, 1))


def test_build_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="CR or LF"):
        Message.build(sender="a@example.org", subject="x\r\nBcc: evil@example.org")
    with pytest.raises(ValueError):
        Message.build(sender="a@example.org", headers={"X-Evil": "a\r\nb: c"})
    with pytest.raises(ValueError, match="domain"):
        Message.build(sender="not-an-address")
    with pytest.raises(TypeError, match="bytes, not str"):
        Message.build(sender="a@example.org", attachments=[("a.txt", "text")])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        Message.build(sender="a@example.org", text=b"bytes")  # type: ignore[arg-type]
    with pytest.raises(FileNotFoundError):
        Message.build(sender="a@example.org", attachments=["/nonexistent/file.pdf"])


def test_message_ids_are_unique() -> None:
    ids = {Message.build(sender="a@example.org", text="x").message_id for _ in range(200)}
    assert len(ids) == 200


def test_mime_module_exports() -> None:
    assert mailroom.mime.b64decode(mailroom.mime.b64encode(b"hello")) == b"hello"
    assert mailroom.mime.qp_decode(mailroom.mime.qp_encode("Zoë".encode())) == "Zoë".encode()
    enc = mailroom.mime.encode_header(KOREAN_SUBJECT)
    assert mailroom.mime.decode_header(enc) == KOREAN_SUBJECT
    assert str(email.header.make_header(email.header.decode_header(enc))) == KOREAN_SUBJECT


def test_message_memory_is_freed_without_the_cycle_collector() -> None:
    import gc
    import weakref

    gc.disable()
    try:
        msg = Message.parse(SIMPLE)
        list(msg.walk())
        ref = weakref.ref(msg)
        del msg
        assert ref() is None
    finally:
        gc.enable()


def test_part_size_is_decoded_and_encoded_size_is_the_wire_body() -> None:
    data = bytes(range(256)) + b"x" * 53  # 309 bytes, base64 on the wire
    msg = Message.build(
        sender="a@example.org", to="b@example.org", text="hi", attachments=[("a.bin", data)]
    )
    (att,) = msg.attachments
    assert att.size == len(att.data) == 309
    assert att.encoded_size == len(att.body_raw) > att.size
    label = f"309 bytes decoded, {att.encoded_size} encoded"
    assert label in repr(att)
    assert label in msg.tree()
    assert label in msg._repr_html_()
    (text,) = [p for p in msg.walk() if p.content_type == "text/plain"]
    assert text.size == text.encoded_size  # 7bit: one figure
    assert repr(text).endswith(f" {text.size} bytes>")


def test_cli_mime_labels_both_sizes(tmp_path: Path) -> None:
    data = bytes(range(256)) + b"x" * 53
    msg = Message.build(
        sender="a@example.org", to="b@example.org", text="hi", attachments=[("a.bin", data)]
    )
    path = tmp_path / "m.eml"
    path.write_bytes(bytes(msg))
    done = subprocess.run(
        [sys.executable, "-m", "mailroom", "mime", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    (att,) = msg.attachments
    assert f"309 bytes decoded, {att.encoded_size} encoded" in done.stdout
