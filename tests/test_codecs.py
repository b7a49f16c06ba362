"""Codecs: base64, quoted-printable, charsets, RFC 2047 and RFC 2231."""

from __future__ import annotations

import base64
import binascii
import email.header
import email.policy
import email.utils
import quopri

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailroom import _core, mime

# ---------------------------------------------------------------- base64


def test_b64encode_wraps_at_76_with_crlf() -> None:
    data = bytes(range(256)) * 3
    out = mime.b64encode(data)
    lines = out.split(b"\r\n")
    assert lines[-1] == b""  # the last line ends in CRLF too
    assert all(len(line) == 76 for line in lines[:-2])
    assert 0 < len(lines[-2]) <= 76
    assert out == base64.encodebytes(data).replace(b"\n", b"\r\n")


def test_b64encode_no_wrap_and_empty() -> None:
    assert mime.b64encode(b"", 76) == b""
    assert mime.b64encode(b"abcd", 0) == b"YWJjZA=="
    assert mime.b64encode(b"ab", 0) == b"YWI="


def test_b64encode_wrap_not_multiple_of_four() -> None:
    out = mime.b64encode(b"x" * 100, 10)
    assert all(len(line) <= 10 for line in out.split(b"\r\n"))
    assert mime.b64decode(out) == b"x" * 100


def test_b64_accepts_bytes_like() -> None:
    data = b"hello world"
    expected = base64.b64encode(data) + b"\r\n"
    assert mime.b64encode(bytearray(data)) == expected
    assert mime.b64encode(memoryview(data)) == expected
    assert mime.b64decode(bytearray(expected)) == data
    assert mime.b64decode(memoryview(expected)) == data
    assert mime.b64decode(expected.decode()) == data


def test_b64_rejects_other_types() -> None:
    with pytest.raises(TypeError, match="bytes-like"):
        _core.mime.b64encode("text")
    with pytest.raises(TypeError, match="bytes-like or str"):
        _core.mime.b64decode(123)


def test_b64decode_lenient_skips_and_accepts_missing_padding() -> None:
    assert mime.b64decode(b"YW Jj\r\nZA==") == b"abcd"
    assert mime.b64decode(b"YWJjZA") == b"abcd"
    assert mime.b64decode(b"YW*JjZA==") == b"abcd"
    assert mime.b64decode(b"YQ==YQ==") == b"aa"  # concatenated base64 is decoded


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (b"YW*JjZA==", "outside the base64 alphabet"),
        (b"YWJjZ", "cut off"),
        (b"YWJjZA", "padding"),
        (b"YQ==YQ==", "after padding"),
        (b"=YWJj", "padding"),
    ],
)
def test_b64decode_strict_raises(bad: bytes, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        mime.b64decode(bad, strict=True)


def test_b64decode_strict_allows_line_ends() -> None:
    data = bytes(range(200))
    assert mime.b64decode(base64.encodebytes(data), strict=True) == data


@settings(deadline=None)
@given(st.binary(max_size=2000), st.sampled_from([0, 4, 64, 76, 77]))
def test_b64_round_trip_matches_python(data: bytes, wrap: int) -> None:
    encoded = mime.b64encode(data, wrap)
    assert binascii.a2b_base64(encoded) == data
    assert mime.b64decode(encoded, strict=True) == data
    assert mime.b64decode(base64.b64encode(data)) == data
    if wrap == 76:
        assert encoded == base64.encodebytes(data).replace(b"\n", b"\r\n")


@settings(deadline=None)
@given(st.binary(max_size=300))
def test_b64decode_never_fails_on_garbage(data: bytes) -> None:
    out = mime.b64decode(data)
    assert len(out) <= len(data)


# ---------------------------------------------------------------- quoted-printable


def test_qp_soft_breaks_at_76() -> None:
    out = mime.qp_encode(b"a" * 200)
    lines = out.split(b"\r\n")
    assert all(len(line) <= 76 for line in lines)
    assert lines[0].endswith(b"=") and len(lines[0]) == 76
    assert mime.qp_decode(out) == b"a" * 200


def test_qp_trailing_whitespace_encoded() -> None:
    assert mime.qp_encode(b"end \nnext\t\r\nlast ") == b"end=20\r\nnext=09\r\nlast=20"


def test_qp_equals_and_8bit() -> None:
    assert mime.qp_encode("a=b Zoë".encode()) == b"a=3Db Zo=C3=AB"


def test_qp_never_splits_escape() -> None:
    out = mime.qp_encode("é".encode() * 40)
    for line in out.split(b"\r\n"):
        assert len(line) <= 76
        body = line[:-1] if line.endswith(b"=") else line
        assert len(body) % 3 == 0


def test_qp_decode_soft_break_and_malformed() -> None:
    assert mime.qp_decode(b"ab=\r\ncd=\nef= \r\ngh=") == b"abcdefgh"
    assert mime.qp_decode(b"x=3dy=3D") == b"x=y="
    assert mime.qp_decode(b"100=% =ZZ") == b"100=% =ZZ"
    with pytest.raises(ValueError, match="offset 3"):
        mime.qp_decode(b"100=% off", strict=True)


def test_qp_decode_drops_transport_padding() -> None:
    assert mime.qp_decode(b"line  \r\nnext\t\nz") == b"line\r\nnext\nz"


@settings(deadline=None)
@given(st.binary(max_size=1500), st.sampled_from([4, 10, 76]))
def test_qp_round_trip_matches_python(data: bytes, max_line: int) -> None:
    encoded = mime.qp_encode(data, max_line)
    assert all(len(line) <= max_line for line in encoded.split(b"\r\n"))
    assert all(0x20 <= c < 0x7F or c in b"\r\n\t" for c in encoded)
    assert not any(line.endswith((b" ", b"\t")) for line in encoded.split(b"\r\n"))
    # Line ends come back as CRLF, as they travel in mail.
    normal = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    assert mime.qp_decode(encoded, strict=True) == normal
    assert binascii.a2b_qp(encoded) == normal
    assert quopri.decodestring(encoded) == normal


@settings(deadline=None)
@given(st.binary(max_size=500))
def test_qp_decodes_python_output(data: bytes) -> None:
    assert mime.qp_decode(binascii.b2a_qp(data)) == binascii.a2b_qp(binascii.b2a_qp(data))


# ---------------------------------------------------------------- charsets


@pytest.mark.parametrize(
    ("label", "canonical"),
    [
        ("utf8", "UTF-8"),
        ("UTF-8", "UTF-8"),
        ("latin1", "ISO-8859-1"),
        ("windows-1252", "CP1252"),
        ("euc-kr", "CP949"),
        ("ks_c_5601-1987", "CP949"),
        ("KS_C_5601", "CP949"),
        ("gb2312", "GB18030"),
        ("shift_jis", "CP932"),
        ("utf-8*en", "UTF-8"),
    ],
)
def test_canonical_charset(label: str, canonical: str) -> None:
    assert mime.canonical_charset(label) == canonical


@pytest.mark.parametrize(
    ("text", "charset", "label"),
    [
        ("Zoë über", "latin-1", "iso-8859-1"),
        ("“quotes” €", "cp1252", "windows-1252"),
        ("안녕하세요", "euc-kr", "euc-kr"),
        ("똠방각하", "cp949", "ks_c_5601-1987"),  # CP949-only syllables
        ("日本語のテキスト", "iso-2022-jp", "iso-2022-jp"),
        ("日本語", "shift_jis", "shift_jis"),
        ("中文", "gb2312", "gb2312"),
        ("plain", "ascii", "us-ascii"),
    ],
)
def test_to_utf8(text: str, charset: str, label: str) -> None:
    assert mime.to_utf8(text.encode(charset), label) == text


def test_to_utf8_replaces_invalid() -> None:
    assert mime.to_utf8(b"ok\xffok", "utf-8") == "ok\ufffdok"
    assert mime.to_utf8(b"a\xe2\x82", "utf-8") == "a\ufffd"
    assert mime.to_utf8(b"\xb0\xa1\xff", "euc-kr") == "가\ufffd"
    # us-ascii labels often carry UTF-8.
    assert mime.to_utf8("Zoë".encode(), "us-ascii") == "Zoë"


def test_to_utf8_unknown_charset() -> None:
    with pytest.raises(LookupError, match="x-no-such"):
        mime.to_utf8(b"abc", "x-no-such-charset")
    with pytest.raises(LookupError):
        mime.to_utf8(b"abc", "../../etc/passwd")


@settings(deadline=None)
@given(
    st.binary(max_size=200), st.sampled_from(["utf-8", "euc-kr", "iso-2022-jp", "cp1252", "gb2312"])
)
def test_to_utf8_never_fails(data: bytes, charset: str) -> None:
    mime.to_utf8(data, charset)


# ---------------------------------------------------------------- RFC 2047


@pytest.mark.parametrize(
    ("raw", "decoded"),
    [
        ("=?utf-8?B?7ZWc6rWt7Ja0?=", "한국어"),
        ("=?iso-8859-1?Q?Zo=EB?=", "Zoë"),
        ("=?ISO-8859-1?q?Zo=eb_Smith?=", "Zoë Smith"),
        ("=?windows-1252?Q?=93hi=94?=", "“hi”"),
        ("=?euc-kr?B?vsiz58fPvLy/5A==?=", "안녕하세요"),
        ("=?ks_c_5601-1987?B?vsiz58fPvLy/5A==?=", "안녕하세요"),
        ("=?iso-2022-jp?B?GyRCRnxLXDhsGyhC?=", "日本語"),
        ("=?utf-8*en?Q?hello_world?=", "hello world"),
        ("=?utf-8?Q?a?= =?utf-8?Q?b?=", "ab"),  # adjacent words joined
        ("=?utf-8?Q?a?=\r\n =?utf-8?Q?b?=", "ab"),  # also across a fold
        ("=?utf-8?Q?a?= x =?utf-8?Q?b?=", "a x b"),
        ("Re: =?utf-8?Q?caf=C3=A9?= time", "Re: café time"),
        ("=?utf-8?B?7ZU=?= =?utf-8?B?nA==?=", "한"),  # character split across words
        ("=?utf-8?X?abc?=", "=?utf-8?X?abc?="),  # malformed: left as is
        ("=?utf-8?Q?abc", "=?utf-8?Q?abc"),
        ("=??Q?abc?=", "=??Q?abc?="),
        ("plain\r\n folded", "plain folded"),
        ("Zoë raw UTF-8", "Zoë raw UTF-8"),
    ],
)
def test_decode_header(raw: str, decoded: str) -> None:
    assert mime.decode_header(raw) == decoded


def test_decode_header_bytes_and_unknown_charset() -> None:
    assert mime.decode_header("Zoë \xff".encode("latin-1")) == "Zo\ufffd \ufffd"
    assert mime.decode_header(b"=?x-unknown?Q?abc?=") == "abc"


def _lines(name: str, value: str) -> list[str]:
    return f"{name}: {value}".split("\r\n")


def _python_decode(value: str) -> str:
    parts = email.header.decode_header(value.replace("\r\n", ""))
    return "".join(p.decode(cs or "ascii") if isinstance(p, bytes) else p for p, cs in parts)


def test_korean_subject_round_trip() -> None:
    subject = (
        "안녕하세요, 회의 자료를 첨부합니다 — 2026년 11월 정기 회의 (최종본) 확인 부탁드립니다"
    )
    encoded = mime.encode_header(subject, "Subject")
    assert all(len(line) <= 78 for line in _lines("Subject", encoded))
    assert all(len(word) <= 75 for word in encoded.split() if word.startswith("=?"))
    assert encoded.isascii()
    assert mime.decode_header(encoded) == subject
    assert _python_decode(encoded) == subject
    assert str(email.header.make_header(email.header.decode_header(encoded))) == subject


def test_encode_header_ascii_folds_at_whitespace() -> None:
    value = " ".join(["word"] * 40)
    encoded = mime.encode_header(value, "Subject")
    assert "=?" not in encoded
    assert all(len(line) <= 78 for line in _lines("Subject", encoded))
    assert encoded.replace("\r\n", "") == value


def test_encode_header_mixed_keeps_ascii_words() -> None:
    encoded = mime.encode_header("Re: Zoë and friends", "Subject")
    assert encoded.startswith("Re: =?utf-8?")
    assert encoded.endswith(" and friends")
    assert mime.decode_header(encoded) == "Re: Zoë and friends"


def test_encode_header_escapes_lookalike_and_controls() -> None:
    for value in ["=?utf-8?Q?x?=", "line\r\nInjected: yes"]:
        encoded = mime.encode_header(value, "Subject")
        assert "\n" not in encoded.replace("\r\n ", "")
        assert mime.decode_header(encoded) == value


def test_encode_header_long_word() -> None:
    value = "x" * 200
    encoded = mime.encode_header(value, "Subject")
    assert all(len(line) <= 78 for line in _lines("Subject", encoded))
    assert mime.decode_header(encoded) == value


header_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"),
    max_size=150,
)


@settings(deadline=None)
@given(header_text, st.sampled_from(["", "To", "Subject", "X-A-Rather-Long-Header-Name"]))
def test_encode_header_round_trip(value: str, name: str) -> None:
    encoded = mime.encode_header(value, name)
    assert encoded.isascii()
    assert all(len(line) <= 78 for line in _lines(name, encoded)[1:])
    if name:
        assert all(len(line) <= 78 for line in _lines(name, encoded))
    for word in encoded.split():
        if word.startswith("=?"):
            assert len(word) <= 75
            # Each word holds whole UTF-8 characters.
            assert "\ufffd" not in mime.decode_header(word) or "\ufffd" in value
    normalized = " ".join(value.replace("\t", " ").split(" "))
    assert mime.decode_header(encoded).split() == normalized.split()
    assert _python_decode(encoded).split() == normalized.split()


def test_encode_phrase() -> None:
    assert _core.mime.encode_phrase("Bob Smith") == "Bob Smith"
    assert _core.mime.encode_phrase("Smith, Bob") == '"Smith, Bob"'
    assert _core.mime.encode_phrase('say "hi"') == '"say \\"hi\\""'
    assert _core.mime.encode_phrase("Zoë") == "=?utf-8?Q?Zo=C3=AB?="
    assert mime.decode_header(_core.mime.encode_phrase("Zoë Smith")) == "Zoë Smith"


# ---------------------------------------------------------------- RFC 2231


def test_rfc2231_decode_continuations_joined() -> None:
    # filename*0*=utf-8''%EC%82%AC; filename*1*=%EC%A7%84.jpg
    assert mime.rfc2231_decode("utf-8''%EC%82%AC" + "%EC%A7%84.jpg") == "사진.jpg"
    assert mime.rfc2231_decode("iso-8859-1'en'Zo%EB") == "Zoë"
    assert mime.rfc2231_decode("us-ascii''100%25") == "100%"
    assert mime.rfc2231_decode("utf-8''bad%zz") == "bad%zz"


def test_rfc2231_continuations_parsed_by_python() -> None:
    msg = email.message_from_string(
        "Content-Type: image/jpeg\r\n"
        "Content-Disposition: attachment;\r\n"
        " filename*0*=utf-8''%EC%82%AC;\r\n filename*1*=%EC%A7%84.jpg\r\n\r\n",
        policy=email.policy.default,
    )
    assert msg.get_filename() == "사진.jpg"


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        ("report.pdf", "filename=report.pdf"),
        ("my report.pdf", 'filename="my report.pdf"'),
        ('a"b.txt', 'filename="a\\"b.txt"'),
        ("사진.jpg", "filename*=utf-8''%EC%82%AC%EC%A7%84.jpg"),
    ],
)
def test_encode_param(value: str, encoded: str) -> None:
    assert mime.encode_param("filename", value) == encoded


@settings(deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=120))
def test_encode_param_parsed_by_python(value: str) -> None:
    encoded = mime.encode_param("filename", value)
    # Written as "Content-Disposition: attachment;\r\n " + encoded.
    assert all(len(line) <= 78 for line in (" " + encoded).split("\r\n"))
    msg = email.message_from_string(
        f"Content-Disposition: attachment;\r\n {encoded}\r\n\r\n",
        policy=email.policy.default,
    )
    # Python strips the filename, and its get_param() unquotes the value once
    # more: one pair of surrounding quotes or angle brackets goes
    # (email.utils.unquote), so "<>" reads back as "".
    assert msg.get_filename() == email.utils.unquote(value).strip()
