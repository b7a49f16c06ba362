"""The str objects Part.text, Part.headers and decoded_parts() build: the
engine measures a UTF-8 text (its length in code points and its widest code
point), allocates the str at that size and width and decodes into it, instead
of CPython's decoder widening as it goes. These check it, differentially,
against CPython's own UTF-8 decoder on random texts of every width and
length (around the sixteen-byte steps of the ASCII runs) and on random bytes,
valid or not: valid UTF-8 gives what bytes.decode("utf-8") gives; anything
else the engine's conversion with U+FFFD (mime.to_utf8), as before.
"""

from __future__ import annotations

import random

import pytest

from mailroom import Message, mime

POOLS = {
    "ascii": [chr(c) for c in range(0x20, 0x7F)],
    "latin1": [chr(c) for c in range(0x20, 0x7F)] + [chr(c) for c in range(0xA0, 0x100)],
    "bmp": ["a", " ", "é", "ÿ", "Ā", "회", "의", "日", "本", "語", "\u0800", "\uffff", "\ue000"],
    "astral": ["a", "ë", "회", "🙂", "\U00010000", "\U0010ffff", "𝄞"],
}


def _message(body: bytes, cte: str, subject: bytes = b"plain") -> Message:
    encoded = {
        "8bit": body,
        "quoted-printable": mime.qp_encode(body),
        "base64": mime.b64encode(body),
    }
    return Message.parse(
        b"From: a@example.org\r\nSubject: " + subject + b"\r\nX-Raw: " + subject + b"\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: " + cte.encode() + b"\r\n\r\n" + encoded[cte]
    )


def _texts(pool: list[str], seed: int) -> list[str]:
    rnd = random.Random(seed)
    lengths = [*range(0, 40), 47, 48, 63, 64, 65, 200, 1000, 5000]
    return ["".join(rnd.choice(pool) for _ in range(n)) for n in lengths]


@pytest.mark.parametrize("cte", ["8bit", "quoted-printable", "base64"])
@pytest.mark.parametrize("width", list(POOLS))
def test_valid_utf8_bodies_decode_as_cpython_does(width: str, cte: str) -> None:
    for text in _texts(POOLS[width], seed=len(width) * 7 + len(cte)):
        raw = text.encode()
        msg = _message(raw, cte)
        # qp_encode turns line ends into CRLF: compare with the decoded bytes.
        decoded = msg.data
        assert decoded.decode("utf-8") == msg.text
        assert msg._core.text(0) == (decoded.decode("utf-8"), False)
        assert msg.decoded_parts()[0].content == decoded.decode("utf-8")
        if cte != "quoted-printable":
            assert decoded == raw


@pytest.mark.parametrize("width", list(POOLS))
def test_header_values_decode_as_cpython_does(width: str) -> None:
    for text in _texts(POOLS[width], seed=len(width))[:60]:
        value = text.replace("\r", " ").replace("\n", " ").strip()
        msg = _message(b"body\r\n", "8bit", subject=value.encode())
        raw = dict(msg.raw_headers)
        expected = [(name, mime.decode_header(r)) for name, r in msg.raw_headers]
        assert msg.headers == expected
        assert msg.decoded_parts()[0].headers == expected
        assert mime.decode_header(raw["X-Raw"]) == value


def test_random_bytes_decode_as_before() -> None:
    # Random bytes mostly are not valid UTF-8; some runs are. Valid: CPython's
    # strict decoder; not valid: the engine's conversion (U+FFFD), flagged.
    rnd = random.Random(2026)
    pieces = [
        b"a",
        b"abc ",
        b"\xc3\xab",
        b"\xed\x95\x9c",
        b"\xf0\x9f\x99\x82",
        b"\xc3",
        b"\x80",
        b"\xed\xa0\x80",
        b"\xf4\x90\x80\x80",
        b"\xc0\xaf",
        b"\xe0\x80\xaf",
        b"\xff",
    ]
    for i in range(600):
        if i % 3 == 0:
            raw = rnd.randbytes(rnd.randint(0, 80))
        else:
            raw = b"".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 60)))
        for cte in ("8bit", "base64"):
            msg = _message(raw, cte)
            try:
                expected, bad = raw.decode("utf-8"), False
            except UnicodeDecodeError:
                expected, bad = mime.to_utf8(raw, "utf-8"), True
            if cte == "8bit" and (b"\r" in raw or b"\n" in raw or b"\0" in raw):
                continue  # line ends in an 8bit body are the parser's to mend
            assert msg._core.text(0) == (expected, bad), raw
            assert msg.decoded_parts()[0].content == expected


def test_header_names_are_shared_and_kept_as_written() -> None:
    data = b"From: a@example.org\r\nx-Custom_1: v\r\nsUbJeCt: s\r\n\r\nbody\r\n"
    first, second = Message.parse(data), Message.parse(data)
    names = [name for name, _ in first.headers]
    assert names == ["From", "x-Custom_1", "sUbJeCt"]
    assert [name for name, _ in first.raw_headers] == names
    # The same name is the same str object, message after message.
    assert all(a is b for (a, _), (b, _) in zip(first.headers, second.decoded_parts()[0].headers))
    # Many distinct names: the cache stops growing, the names stay right.
    many = b"".join(b"X-Name-%d: %d\r\n" % (i, i) for i in range(2000))
    msg = Message.parse(b"From: a@example.org\r\n" + many + b"\r\nbody\r\n")
    assert [name for name, _ in msg.headers][1:] == [f"X-Name-{i}" for i in range(2000)]
