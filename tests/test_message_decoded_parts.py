"""Message.decoded_parts(): every part's decoded headers and content in one
native call, the same as walk() with headers and text or data part by part;
and the fast paths behind Part.text and Part.data (UTF-8 text taken as it is
once valid, bodies decoded straight into the bytes returned) giving what the
engine's general conversion gives.
"""

from __future__ import annotations

import email.message
import email.policy
import random

import pytest

from mailroom import Message, mime
from mailroom.message import DecodedPart

from .test_differential_realworld import SAMPLES

CRLF = b"\r\n"


def _part_by_part(msg: Message) -> list[tuple[int, list[tuple[str, str]], str | bytes | None]]:
    out: list[tuple[int, list[tuple[str, str]], str | bytes | None]] = []
    for part in msg.walk():
        content: str | bytes | None = None
        if not part.is_multipart and not part.is_message:
            content = part.text if part.maintype == "text" else part.data
        out.append((part.index, part.headers, content))
    return out


def _one_call(msg: Message) -> list[tuple[int, list[tuple[str, str]], str | bytes | None]]:
    return [(p.part.index, p.headers, p.content) for p in msg.decoded_parts()]


def _generated(n: int) -> list[bytes]:
    rnd = random.Random(13)
    words = ["mail", "Zoë", "회의", "données", "日本語", "x" * 30, "=?", "?="]
    out = []
    for i in range(n):
        msg = email.message.EmailMessage(policy=email.policy.SMTP)
        msg["From"] = f"Zoë {i} <z{i}@example.org>"
        msg["Subject"] = " ".join(rnd.choice(words) for _ in range(rnd.randint(1, 20)))
        text = "\n".join(" ".join(rnd.choice(words) for _ in range(9)) for _ in range(12)) + "\n"
        cte = rnd.choice([None, "quoted-printable", "base64", "8bit"])
        charset = rnd.choice(["utf-8", "iso-8859-1", "euc-kr"])
        try:
            text.encode(charset)
        except UnicodeEncodeError:
            charset = "utf-8"
        msg.set_content(text, charset=charset, cte=cte)
        if i % 2:
            msg.add_alternative(f"<p>{text}</p>", subtype="html")
        if i % 3 == 0:
            msg.add_attachment(rnd.randbytes(rnd.randint(0, 5000)), "application", "octet-stream")
        if i % 4 == 0:
            outer = email.message.EmailMessage(policy=email.policy.SMTP)
            outer["From"] = "fwd@example.org"
            outer.set_content("see the attached message\n")
            outer.add_attachment(msg)
            msg = outer
        out.append(msg.as_bytes())
    return out


@pytest.mark.parametrize("data", _generated(40))
def test_one_call_gives_what_walking_part_by_part_gives(data: bytes) -> None:
    msg = Message.parse(data)
    assert _one_call(msg) == _part_by_part(msg)


@pytest.mark.skipif(not SAMPLES, reason="this Python has no test.test_email data")
@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_one_call_agrees_on_real_world_samples(path: object) -> None:
    with open(str(path), "rb") as f:
        msg = Message.parse(f.read())
    assert _one_call(msg) == _part_by_part(msg)


def test_parts_of_a_subtree_and_their_kinds() -> None:
    inner = b"From: in@example.org\r\nSubject: =?utf-8?q?Zo=C3=AB?=\r\n\r\ninner text\r\n"
    data = (
        b"From: a@example.org\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhello\r\n"
        b"--b\r\nContent-Type: message/rfc822\r\n\r\n" + inner + b"--b\r\n"
        b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        b"AAEC/w==\r\n--b--\r\n"
    )
    msg = Message.parse(data)
    got = msg.decoded_parts()
    assert all(isinstance(p, DecodedPart) for p in got)
    assert [(p.part.content_type, p.content) for p in got] == [
        ("multipart/mixed", None),
        ("text/plain", "hello"),
        ("message/rfc822", None),
        ("text/plain", "inner text"),
        ("application/octet-stream", b"\x00\x01\x02\xff"),
    ]
    assert got[3].headers == [("From", "in@example.org"), ("Subject", "Zoë")]
    embedded = got[2].part
    assert [p.part.index for p in embedded.decoded_parts()] == [2, 3]
    assert [p.index for p in embedded.walk()] == [2, 3]


def _text_message(charset: str, cte: str, body: bytes) -> Message:
    return Message.parse(
        b"From: a@example.org\r\nContent-Type: text/plain; charset="
        + charset.encode()
        + b"\r\nContent-Transfer-Encoding: "
        + cte.encode()
        + b"\r\n\r\n"
        + body
    )


@pytest.mark.parametrize("cte", ["8bit", "quoted-printable", "base64"])
@pytest.mark.parametrize("charset", ["utf-8", "us-ascii", "UTF8"])
def test_invalid_utf8_text_is_replaced_and_flagged(charset: str, cte: str) -> None:
    raw = "Zoë ".encode() + b"\xff\xe2\x82 " + "회의".encode() + b"\xed\xa0\x80!\r\n"
    body = {
        "8bit": raw,
        "quoted-printable": mime.qp_encode(raw),
        "base64": mime.b64encode(raw),
    }[cte]
    msg = _text_message(charset, cte, body)
    expected = raw.decode("utf-8", "replace")
    assert msg.text == expected
    text, bad = msg._core.text(0)
    assert (text, bad) == (expected, True)
    assert msg.decoded_parts()[0].content == expected


@pytest.mark.parametrize("cte", ["8bit", "quoted-printable", "base64"])
def test_valid_utf8_text_is_not_flagged(cte: str) -> None:
    raw = "Zoë, 회의, 日本語 and 🙂\r\n".encode()
    body = {"8bit": raw, "quoted-printable": mime.qp_encode(raw), "base64": mime.b64encode(raw)}
    msg = _text_message("utf-8", cte, body[cte])
    assert msg._core.text(0) == (raw.decode(), False)


@pytest.mark.parametrize(
    ("charset", "text"),
    [("iso-8859-1", "Zoë à Paris"), ("euc-kr", "회의 자료"), ("windows-1252", "“quoted” €5")],
)
def test_other_charsets_still_convert(charset: str, text: str) -> None:
    msg = _text_message(charset, "8bit", text.encode(charset) + CRLF)
    assert msg.text == text + "\r\n"
    assert msg.decoded_parts()[0].content == text + "\r\n"


def test_decoded_bytes_and_flags_match_the_codecs() -> None:
    blob = random.Random(5).randbytes(70_000)
    good = mime.b64encode(blob)
    bad = good[:1000] + b"*!" + good[1000:]
    for body, flagged in ((good, False), (bad, True), (b"", False), (b"QQ", False)):
        msg = Message.parse(
            b"From: a@example.org\r\nContent-Type: application/octet-stream\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n" + body
        )
        assert msg._core.decoded(0) == (mime.b64decode(body), flagged)
        assert msg.data == msg.decoded_parts()[0].content == mime.b64decode(body)
    qp = b"caf=C3=A9 =\r\nsoft =ZZ end   \r\n"
    msg = _text_message("utf-8", "quoted-printable", qp)
    assert msg._core.decoded(0) == (mime.qp_decode(qp), True)
    unknown = _text_message("utf-8", "x-uuencode", b"begin 644 f\r\n")
    assert unknown._core.decoded(0) == (b"begin 644 f\r\n", True)
    assert unknown.text == "begin 644 f\r\n"


def test_headers_decode_in_one_call_as_decode_header_does() -> None:
    data = (
        b"Subject: =?utf-8?q?Zo=C3=AB?= =?utf-8?b?7ZqM7J2Y?=\r\n"
        b" and folded\r\n"
        b"X-Latin: =?iso-8859-1?q?caf=E9?= plain\r\n"
        b"X-Raw: \xc3\xa9t\xe9\r\n"
        b"X-Empty:\r\n"
        b"\r\nbody\r\n"
    )
    msg = Message.parse(data)
    expected = [(name, mime.decode_header(raw)) for name, raw in msg.raw_headers]
    assert msg.headers == expected
    assert msg.decoded_parts()[0].headers == expected
    assert expected[0][1] == "Zoë회의 and folded"
    assert expected[2][1] == "ét\ufffd"


def _line_end_defects(data: bytes) -> set[str]:
    kinds = {"nul_byte", "bare_lf", "bare_cr"}
    return {d.kind for d in Message.parse(data).defects if d.kind in kinds}


def _expected_line_end_defects(data: bytes) -> set[str]:
    found = set()
    if b"\0" in data:
        found.add("nul_byte")
    if any(c == 0x0A and (i == 0 or data[i - 1] != 0x0D) for i, c in enumerate(data)):
        found.add("bare_lf")
    if any(c == 0x0D and data[i + 1 : i + 2] != b"\n" for i, c in enumerate(data)):
        found.add("bare_cr")
    return found


@pytest.mark.parametrize("length", [1, 2, 15, 16, 17, 18, 31, 32, 33, 47, 64, 100])
def test_nul_bare_cr_and_bare_lf_are_found_at_every_position(length: int) -> None:
    # The parser proves their absence sixteen bytes a step: put each one at
    # every offset, around those steps and at both ends.
    lines = (b"ab\r\n" * length)[:length]
    assert _line_end_defects(lines) == _expected_line_end_defects(lines)
    for at in range(length):
        for byte in (b"\0", b"\r", b"\n", b"x"):
            data = lines[:at] + byte + lines[at + 1 :]
            assert _line_end_defects(data) == _expected_line_end_defects(data), (data, at)


def test_rows_are_made_natively_as_the_tuple_type_asked_for() -> None:
    msg = Message.parse(b"From: a@example.org\r\n\r\nbody\r\n")
    (row,) = msg._core.contents(0, lambda i: ("part", i), DecodedPart)
    assert type(row) is DecodedPart
    assert row == DecodedPart(("part", 0), [("From", "a@example.org")], "body\r\n")
    assert row.part == ("part", 0) and row.content == "body\r\n"
    assert msg._core.contents(0) == [(0, [("From", "a@example.org")], "body\r\n")]
    with pytest.raises(TypeError, match="row must be a tuple type"):
        msg._core.contents(0, None, list)  # type: ignore[call-overload]

    def broken(i: int) -> object:
        raise ValueError(f"no part {i}")

    with pytest.raises(ValueError, match="no part 0"):
        msg._core.contents(0, broken, DecodedPart)
