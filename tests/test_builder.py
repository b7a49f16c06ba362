"""The message builder: what it writes parses back in Python's email package."""

from __future__ import annotations

import email
import email.policy
import email.utils
import hashlib
import re
from email.message import EmailMessage
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailroom import _core

KOREAN_SUBJECT = "안녕하세요, 2026년 11월 정기 회의 자료를 첨부합니다 (최종본) — 확인 부탁드립니다"
JPEG = bytes(range(256)) * 40 + b"\x00\r\n\r\n--=_mailroom_\xff"


def build(**kw: Any) -> bytes:
    args: dict[str, Any] = {
        "sender": ("Zoë Smith", "zoe@example.test"),
        "to": [("김철수", "kim@example.test")],
        "cc": [],
        "subject": None,
        "text": None,
        "html": None,
        "attachments": [],
        "headers": [],
        "date": None,
        "message_id": None,
    }
    args.update(kw)
    return _core.mime.build_message(**args)  # type: ignore[no-any-return]


def parse(raw: bytes) -> EmailMessage:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    assert not msg.defects
    for part in msg.walk():
        assert not part.defects, part.defects
    return msg


def text_of(part: Any) -> str:
    """Text content with line ends as Python writes them (parsing keeps CRLF)."""
    content = part.get_content()
    assert isinstance(content, str)
    return content.replace("\r\n", "\n")


def header_and_body_lines(raw: bytes) -> tuple[list[bytes], list[bytes]]:
    head, _, body = raw.partition(b"\r\n\r\n")
    return head.split(b"\r\n"), body.split(b"\r\n")


def check_wire_form(raw: bytes) -> None:
    assert raw.endswith(b"\r\n")
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert b"\r" not in raw.replace(b"\r\n", b"")
    heads, _ = header_and_body_lines(raw)
    assert all(len(line) <= 78 for line in heads), [x for x in heads if len(x) > 78]
    assert raw.isascii()


def test_text_only() -> None:
    raw = build(subject="Hello", text="Hi Bob,\nsee you.\n")
    check_wire_form(raw)
    msg = parse(raw)
    assert msg.get_content_type() == "text/plain"
    assert msg.get_content_charset() == "utf-8"
    assert msg["Content-Transfer-Encoding"] == "7bit"
    assert text_of(msg) == "Hi Bob,\nsee you.\n"
    assert msg["MIME-Version"] == "1.0"


def test_headers_round_trip() -> None:
    raw = build(
        subject=KOREAN_SUBJECT,
        text="x",
        cc=[("Smith, Bob", "bob@example.test"), ("", "carol@example.test")],
        headers=[("X-Note", "Zoë says hi " * 10), ("Bcc", "hidden@example.test")],
    )
    check_wire_form(raw)
    msg = parse(raw)
    assert msg["Subject"] == KOREAN_SUBJECT
    assert msg["From"].addresses[0].display_name == "Zoë Smith"
    assert msg["From"].addresses[0].addr_spec == "zoe@example.test"
    assert msg["To"].addresses[0].display_name == "김철수"
    assert [a.display_name for a in msg["Cc"].addresses] == ["Smith, Bob", ""]
    assert [a.addr_spec for a in msg["Cc"].addresses] == ["bob@example.test", "carol@example.test"]
    assert msg["X-Note"] == ("Zoë says hi " * 10).strip()
    assert "Bcc" not in msg and b"hidden" not in raw


def test_long_display_name_split_into_words() -> None:
    name = "아주 긴 이름을 가진 사람 " * 4 + "Zoë"
    raw = build(sender=(name, "long@example.test"), text="x")
    check_wire_form(raw)
    from_value = parse(raw)["From"]
    assert from_value.addresses[0].addr_spec == "long@example.test"
    raw_from = raw.split(b"\r\nFrom: ", 1)[1].split(b" <long@", 1)[0].decode()
    assert _core.mime.decode_header(raw_from) == name


def test_date_and_message_id_filled_in() -> None:
    msg = parse(build(text="x"))
    assert email.utils.parsedate_to_datetime(msg["Date"]) is not None
    assert re.fullmatch(r"<[^<>@\s]+@example\.test>", msg["Message-ID"])
    ids = {parse(build(text="x"))["Message-ID"] for _ in range(50)}
    assert len(ids) == 50


def test_date_and_message_id_given() -> None:
    raw = build(text="x", date="Mon, 2 Nov 2026 10:00:00 +0900", message_id="<a@b.test>")
    msg = parse(raw)
    assert msg["Date"] == "Mon, 02 Nov 2026 10:00:00 +0900"
    assert msg["Message-ID"] == "<a@b.test>"
    assert raw.count(b"\r\nDate: ") + raw.startswith(b"Date: ") == 1


def test_format_date_and_message_id_helpers() -> None:
    assert email.utils.parsedate_to_datetime(_core.mime.format_date_now()).utcoffset() is not None
    assert _core.mime.make_message_id("x.test").endswith("@x.test>")
    assert _core.mime.make_message_id("x.test") != _core.mime.make_message_id("x.test")


def test_text_and_html_alternative() -> None:
    raw = build(subject="Alt", text="plain Zoë\n", html="<p>html Zoë</p>\n")
    check_wire_form(raw)
    msg = parse(raw)
    assert msg.get_content_type() == "multipart/alternative"
    plain, html = msg.get_payload()
    assert plain.get_content_type() == "text/plain"
    assert html.get_content_type() == "text/html"
    assert text_of(plain) == "plain Zoë\n"
    assert text_of(html) == "<p>html Zoë</p>\n"
    assert text_of(msg.get_body(("html",))) == "<p>html Zoë</p>\n"


def test_html_only() -> None:
    msg = parse(build(html="<b>x</b>"))
    assert msg.get_content_type() == "text/html"


def test_attachments_mixed() -> None:
    raw = build(
        subject="Photos",
        text="see attached\n",
        html="<p>see attached</p>",
        attachments=[
            ("사진.jpg", JPEG, "image/jpeg"),
            ("report 2026.pdf", b"%PDF-1.7", "application/pdf"),
            (
                "아주 긴 파일 이름을 가진 첨부 파일 " * 3 + ".bin",
                b"\x00" * 10,
                "application/octet-stream",
            ),
        ],
    )
    check_wire_form(raw)
    msg = parse(raw)
    assert msg.get_content_type() == "multipart/mixed"
    body, jpeg, pdf, long_name = msg.get_payload()
    assert body.get_content_type() == "multipart/alternative"
    assert jpeg.get_filename() == "사진.jpg"
    assert jpeg.get_content_disposition() == "attachment"
    assert jpeg["Content-Transfer-Encoding"] == "base64"
    assert jpeg.get_content() == JPEG
    assert hashlib.sha256(jpeg.get_payload(decode=True)).digest() == hashlib.sha256(JPEG).digest()
    assert pdf.get_filename() == "report 2026.pdf"
    assert pdf.get_content() == b"%PDF-1.7"
    assert long_name.get_filename() == ("아주 긴 파일 이름을 가진 첨부 파일 " * 3 + ".bin")
    assert [p.get_filename() for p in msg.iter_attachments()] == [
        "사진.jpg",
        "report 2026.pdf",
        "아주 긴 파일 이름을 가진 첨부 파일 " * 3 + ".bin",
    ]
    # The name= parameter on Content-Type carries RFC 2047 words for old clients.
    assert _core.mime.decode_header(jpeg.get_param("name")) == "사진.jpg"


def test_base64_body_lines_at_most_76() -> None:
    raw = build(
        text="x", attachments=[("a.bin", bytes(range(256)) * 100, "application/octet-stream")]
    )
    part = raw.split(b"Content-Transfer-Encoding: base64\r\n\r\n", 1)[1].split(b"\r\n--", 1)[0]
    lines = part.split(b"\r\n")
    assert all(len(line) <= 76 for line in lines)
    assert max(len(line) for line in lines) == 76


def test_long_lines_use_quoted_printable() -> None:
    text = "word " * 400 + "\nend\n"  # a 2000-character line
    raw = build(text=text)
    check_wire_form(raw)
    _, body = header_and_body_lines(raw)
    assert all(len(line) <= 76 for line in body)
    msg = parse(raw)
    assert msg["Content-Transfer-Encoding"] == "quoted-printable"
    assert text_of(msg) == text


def test_korean_text_picks_shorter_encoding() -> None:
    text = "안녕하세요. 회의 자료입니다.\n" * 20
    raw = build(text=text)
    msg = parse(raw)
    assert msg["Content-Transfer-Encoding"] == "base64"
    assert text_of(msg) == text


def test_mostly_latin_text_uses_quoted_printable() -> None:
    text = "Zoë went to the café.\n" * 5
    msg = parse(build(text=text))
    assert msg["Content-Transfer-Encoding"] == "quoted-printable"
    assert text_of(msg) == text


def test_boundary_never_in_content() -> None:
    text = "--=_mailroom_ looks like a boundary\n" * 3
    raw = build(text=text, html=text)
    msg = parse(raw)
    plain, html = msg.get_payload()
    assert text_of(plain) == text and text_of(html) == text
    boundary = msg.get_boundary()
    assert boundary and boundary.encode() not in text.encode()


@pytest.mark.parametrize(
    "kw",
    [
        {"headers": [("X-Bad", "a\r\nBcc: x@y.test")]},
        {"headers": [("X Bad", "v")]},
        {"headers": [("X-Bad:", "v")]},
        {"headers": [("Content-Type", "text/html")]},
        {"headers": [("Subject", "again")], "subject": "once"},
        {"subject": "a\nb"},
        {"to": [("Bob\r\nBcc: x", "bob@example.test")]},
        {"to": [("Bob", "bob@example.test>, evil@x.test")]},
        {"date": "today\r\nX: y"},
        {"attachments": [("a\r\nb.txt", b"x", "text/plain")]},
        {"attachments": [("a.txt", b"x", "text plain")]},
    ],
)
def test_rejects_injection(kw: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        build(text="x", **kw)


def test_attachment_data_must_be_bytes() -> None:
    with pytest.raises(TypeError, match="bytes-like"):
        build(attachments=[("a.txt", "text", "text/plain")])
    raw = build(attachments=[("a.bin", bytearray(b"\x01\x02"), "application/octet-stream")])
    assert parse(raw).get_payload()[1].get_content() == b"\x01\x02"


names = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=40)
# Display names that fit one encoded-word: Python's address parser keeps the
# white space between adjacent encoded-words (RFC 2047 §6.2 says to drop it).
short_names = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=10)


@settings(deadline=None, max_examples=40)
@given(
    subject=st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=120),
    display=short_names,
    text=st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r"),
        max_size=300,
    ),
    filename=names.filter(lambda s: s.strip() != ""),
    data=st.binary(max_size=500),
)
def test_round_trip_property(
    subject: str, display: str, text: str, filename: str, data: bytes
) -> None:
    raw = build(
        sender=(display, "zoe@example.test"),
        subject=subject,
        text=text,
        attachments=[(filename, data, "application/octet-stream")],
    )
    check_wire_form(raw)
    msg = parse(raw)
    assert " ".join(msg["Subject"].split()) == " ".join(subject.split())
    assert msg["From"].addresses[0].addr_spec == "zoe@example.test"
    # Python's header parser trims some Unicode white space: compare words.
    assert msg["From"].addresses[0].display_name.split() == display.split()
    body, att = msg.get_payload()
    # A 7bit body always ends in a line end.
    assert text_of(body) in (text, text + "\n")
    assert att.get_content() == data
    assert att.get_filename() == filename.strip()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"From: a@x.test\r\nBcc: b@x.test\r\n\r\nbody", b"From: a@x.test\r\n\r\nbody"),
        # folded, the obsolete white space before the colon, any case
        (
            b"BCC : b@x.test,\r\n c@x.test\r\nTo: d@x.test\r\n\r\nBcc: in the body\r\n",
            b"To: d@x.test\r\n\r\nBcc: in the body\r\n",
        ),
        (b"Bcc-Copy: kept\r\nbcc:\r\n\r\n", b"Bcc-Copy: kept\r\n\r\n"),
        (b"To: d@x.test\nBcc: b@x.test\n\nbody\n", b"To: d@x.test\n\nbody\n"),
        (b"To: d@x.test\r\nBcc: b@x.test", b"To: d@x.test\r\n"),  # no body at all
        (b"To: d@x.test\r\n\r\n", b"To: d@x.test\r\n\r\n"),
    ],
)
def test_without_bcc_removes_only_the_bcc_fields(raw: bytes, expected: bytes) -> None:
    assert _core.mime.without_bcc(raw) == expected
    assert _core.mime.without_bcc(bytearray(raw)) == expected
