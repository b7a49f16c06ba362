"""Differential tests: mailroom against Python's own email package.

Messages are generated with Hypothesis (structure, charsets, encodings,
filenames, header words) and serialized by Python's email; both parsers must
agree on decoded headers, the leaf parts' content types, filenames and
decoded bytes. Messages from Message.build must parse back in Python's email
to what was put in.
"""

from __future__ import annotations

import email.headerregistry
import email.message
import email.policy
import random
from email.parser import BytesParser
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailroom import Message

TEXT = st.text(
    alphabet=st.characters(
        # Unicode spaces other than SP are left out: Python's email treats them as
        # folding whitespace in places where RFC 5322 does not.
        codec="utf-8",
        exclude_categories=("Cs", "Cc", "Zl", "Zp", "Zs"),
        exclude_characters="\x85",
        include_characters=" ",
    ),
    max_size=120,
)
LINES = st.lists(TEXT, max_size=6).map(lambda ls: "\n".join(ls) + "\n")
FILENAME = st.text(alphabet=st.sampled_from("abcXYZ019 _-.사진Zoëé"), min_size=1, max_size=40).map(
    lambda s: s.strip() or "f"
)
# Display names: Python's email strips Unicode whitespace at the edges, RFC 5322 has
# no such rule; edge whitespace is kept out of the comparison.
NAME = TEXT.map(lambda s: s[:30].strip())
CHARSETS = st.sampled_from(["utf-8", "iso-8859-1", "windows-1252", "euc-kr", "iso-2022-jp"])
CTE = st.sampled_from(["base64", "quoted-printable", "8bit", "7bit"])


@st.composite
def leaf(draw: Any) -> email.message.EmailMessage:
    part = email.message.EmailMessage(policy=email.policy.SMTP)
    kind = draw(st.sampled_from(["text", "binary", "html"]))
    if kind == "binary":
        data = draw(st.binary(max_size=600))
        part.set_content(
            data,
            maintype="application",
            subtype=draw(st.sampled_from(["octet-stream", "pdf", "zip"])),
            filename=draw(FILENAME),
        )
        return part
    body = draw(LINES)
    charset = draw(CHARSETS)
    try:
        body.encode(charset)
    except UnicodeEncodeError:
        charset = "utf-8"
    cte = draw(CTE)
    if cte == "7bit" and not body.isascii():
        cte = "base64"
    if cte == "7bit" and any(len(line) > 900 for line in body.splitlines()):
        cte = "quoted-printable"
    part.set_content(body, subtype="plain" if kind == "text" else "html", charset=charset, cte=cte)
    if draw(st.booleans()):
        part.add_header("Content-Disposition", "attachment", filename=draw(FILENAME))
    return part


@st.composite
def tree(draw: Any, depth: int = 0) -> email.message.EmailMessage:
    if depth >= 3 or draw(st.integers(0, 2)) == 0:
        return draw(leaf())
    container = email.message.EmailMessage(policy=email.policy.SMTP)
    subtype = draw(st.sampled_from(["mixed", "alternative", "related"]))
    boundary = f"=_b{depth}_{draw(st.integers(0, 10**6))}"
    container["Content-Type"] = f'multipart/{subtype}; boundary="{boundary}"'
    container.set_payload(draw(st.lists(tree(depth + 1), min_size=1, max_size=4)))
    return container


@st.composite
def messages(draw: Any) -> bytes:
    msg = draw(tree())
    msg["From"] = email.headerregistry.Address(draw(NAME), "alice", "example.org")
    msg["To"] = "Bob <bob@example.net>, carol@example.net"
    msg["Subject"] = draw(TEXT)
    msg["Date"] = "Sun, 22 Nov 2026 02:49:30 +0900"
    if "MIME-Version" not in msg:
        msg["MIME-Version"] = "1.0"
    return msg.as_bytes(policy=email.policy.SMTP)


def _squash(name: str) -> str:
    # RFC 2047 §6.2: whitespace between adjacent encoded-words is not part of
    # the text. Python's email keeps it inside address phrases; mailroom drops
    # it. Display names are compared without whitespace for that reason.
    return "".join(name.split())


def _python_view(data: bytes) -> dict[str, Any]:
    em = BytesParser(policy=email.policy.default).parsebytes(data)
    leaves = []
    for p in em.walk():
        if p.is_multipart():
            continue
        leaves.append((p.get_content_type(), p.get_filename(), p.get_payload(decode=True) or b""))
    return {
        "subject": str(em["Subject"]),
        "from": [(_squash(a.display_name), a.addr_spec) for a in em["From"].addresses],
        "to": [a.addr_spec for a in em["To"].addresses],
        "leaves": leaves,
    }


def _our_view(data: bytes) -> dict[str, Any]:
    msg = Message.parse(data)
    leaves = [
        (p.content_type, p.filename, p.data)
        for p in msg.walk()
        if not p.is_multipart and not p.is_message  # Python counts message/rfc822 as a container
    ]
    assert msg.sender is not None
    return {
        "subject": msg.subject,
        "from": [(_squash(a.display_name), a.address) for a in msg.from_],
        "to": [a.address for a in msg.to],
        "leaves": leaves,
    }


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messages())
def test_agrees_with_python_email(data: bytes) -> None:
    assert bytes(Message.parse(data)) == data
    assert _our_view(data) == _python_view(data)


def test_agrees_on_generated_corpus() -> None:
    """A fixed corpus (seeded) so a regression shows as the same failure each run."""
    rnd = random.Random(2026)
    corpus = [_corpus_message(rnd, i) for i in range(400)]
    for data in corpus:
        assert bytes(Message.parse(data)) == data
        assert _our_view(data) == _python_view(data), data[:300]


def _corpus_message(rnd: random.Random, i: int) -> bytes:
    msg = email.message.EmailMessage(policy=email.policy.SMTP)
    msg["From"] = f"User {i} <user{i}@example.org>"
    msg["To"] = ", ".join(f"r{j}@example.net" for j in range(rnd.randint(1, 4)))
    words = ["hello", "Zoë", "회의", "données", "日本語", "plain", "x" * rnd.randint(1, 90)]
    msg["Subject"] = " ".join(rnd.choice(words) for _ in range(rnd.randint(1, 12)))
    msg["Date"] = "Mon, 02 Jan 2006 15:04:05 -0700"
    body = (
        "\n".join(
            " ".join(rnd.choice(words) for _ in range(rnd.randint(0, 30)))
            for _ in range(rnd.randint(1, 20))
        )
        + "\n"
    )
    msg.set_content(body)
    if rnd.random() < 0.5:
        msg.add_alternative(f"<html><body><p>{body}</p></body></html>", subtype="html")
    for _ in range(rnd.randint(0, 3)):
        data = rnd.randbytes(rnd.randint(0, 5000))
        name = rnd.choice(["report.pdf", "사진.jpg", "Zoë's notes.txt", "data.bin"])
        msg.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    if rnd.random() < 0.2:
        inner = email.message.EmailMessage(policy=email.policy.SMTP)
        inner["From"] = "inner@example.org"
        inner["Subject"] = "forwarded"
        inner.set_content("inner body\n")
        msg.add_attachment(inner)
    return msg.as_bytes(policy=email.policy.SMTP)


@settings(max_examples=100, deadline=None)
@given(
    subject=TEXT,
    name=TEXT.map(lambda s: s[:40]),
    text=LINES,
    html=st.none() | LINES,
    atts=st.lists(st.tuples(FILENAME, st.binary(max_size=2000)), max_size=3),
)
def test_build_parses_back_in_python_email(
    subject: str, name: str, text: str, html: str | None, atts: list[tuple[str, bytes]]
) -> None:
    msg = Message.build(
        sender=(name, "alice@example.org"),
        to=["bob@example.net"],
        subject=subject,
        text=text,
        html=html,
        attachments=[(fn, data, "application/octet-stream") for fn, data in atts],
    )
    raw = bytes(msg)
    assert raw.isascii()
    for line in raw.split(b"\r\n"):
        assert len(line) <= 998
    em = BytesParser(policy=email.policy.default).parsebytes(raw)
    assert str(em["Subject"]) == subject.strip() or str(em["Subject"]) == subject
    assert em["From"].addresses[0].addr_spec == "alice@example.org"
    # Python's email keeps the folding space between encoded-words in a phrase
    # (RFC 2047 §6.2 says to drop it), so long names compare without spaces.
    assert _squash(em["From"].addresses[0].display_name) == _squash(name)
    assert msg.sender is not None and msg.sender.display_name == name.strip()
    body = em.get_body(preferencelist=("plain",))
    assert body is not None
    assert body.get_content().replace("\r\n", "\n") == text
    if html is not None:
        hbody = em.get_body(preferencelist=("html",))
        assert hbody is not None and hbody.get_content().replace("\r\n", "\n") == html
    got = [(p.get_filename(), p.get_payload(decode=True)) for p in em.iter_attachments()]
    assert got == atts
    # and in ours
    assert msg.subject == em["Subject"] or msg.subject == subject
    assert [(a.filename, a.data) for a in msg.attachments] == atts


@pytest.mark.parametrize(
    "charset", ["utf-8", "iso-8859-1", "windows-1252", "euc-kr", "iso-2022-jp"]
)
def test_charsets_agree(charset: str) -> None:
    samples = {
        "utf-8": "Zoë 사진 日本語",
        "iso-8859-1": "Zoë déjà vu",
        "windows-1252": "“smart” quotes – €",
        "euc-kr": "안녕하세요 회의",
        "iso-2022-jp": "日本語のテキスト",
    }
    m = email.message.EmailMessage(policy=email.policy.SMTP)
    m["From"] = "a@example.org"
    m["Subject"] = samples[charset]
    m.set_content(samples[charset] + "\n", charset=charset)
    data = m.as_bytes()
    ours = Message.parse(data)
    assert ours.text is not None
    assert ours.text.replace("\r\n", "\n") == samples[charset] + "\n"
    assert ours.subject == samples[charset]
