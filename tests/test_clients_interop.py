"""mailroom's own clients against real servers: SMTPClient against aiosmtpd and
Postfix, POP3Client against Dovecot, and the seeds' whole path across them:
Alice's user agent → Postfix → mailroom.Server's Maildir → Dovecot → Bob's."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import mailroom
from mailroom import Message, POP3Client, POP3Error, Server, SMTPClient

from .peers import Dovecot, Postfix, free_port

pytestmark = pytest.mark.interop

KOREAN_SUBJECT = "안녕하세요, 밥 — 분기 보고서"
ATTACHMENT = bytes(range(256)) * 64 + b"\r\n.\r\n..\r\n"

_unique = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix} #{next(_unique)}"


# -- aiosmtpd -----------------------------------------------------------------------
@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    mail_options: list[str]
    smtp_utf8: bool
    peer: Any
    host_name: str | None
    extended_smtp: bool


@dataclass
class KeepingHandler:
    """An aiosmtpd handler that keeps every envelope and refuses some recipients."""

    refuse: set[str] = field(default_factory=set)
    refuse_ehlo: bool = False
    refuse_senders: set[str] = field(default_factory=set)
    data_reply: str = "250 2.0.0 kept"
    received: list[Received] = field(default_factory=list)

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        if self.refuse_ehlo:
            return ["502 5.5.1 EHLO not implemented, say HELO"]
        session.host_name = hostname
        return responses

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, mail_options: list[str]
    ) -> str:
        if address in self.refuse_senders:
            return f"553 5.7.1 <{address}>: sender not allowed"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self.refuse:
            return f"550 5.1.1 <{address}>: no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(
            Received(
                envelope.mail_from,
                list(envelope.rcpt_tos),
                bytes(envelope.original_content),
                list(envelope.mail_options),
                bool(envelope.smtp_utf8),
                session.peer,
                session.host_name,
                bool(session.extended_smtp),
            )
        )
        return self.data_reply


@contextmanager
def aiosmtpd_server(handler: KeepingHandler, **options: Any) -> Iterator[int]:
    from aiosmtpd.controller import Controller

    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


@pytest.fixture
def keeper() -> KeepingHandler:
    return KeepingHandler(refuse={"nobody@example.net"})


@pytest.fixture
def aiosmtpd_port(keeper: KeepingHandler) -> Iterator[int]:
    with aiosmtpd_server(keeper, enable_SMTPUTF8=True) as port:
        yield port


def test_aiosmtpd_plain_send(keeper: KeepingHandler, aiosmtpd_port: int) -> None:
    msg = Message.build(
        sender="Alice <alice@example.org>",
        to="bob@example.net",
        subject="plain",
        text="Hello Bob\n.a line with a leading dot\n.\nend\n",
    )
    with SMTPClient("127.0.0.1", aiosmtpd_port, helo="client.example.org", timeout=10) as c:
        result = c.send(msg)
        assert c.extensions["esmtp"] and c.extensions["smtputf8"]
    assert result.ok
    assert result.accepted == ["bob@example.net"]
    assert result.refused == {}
    assert result.sender == "alice@example.org"
    assert result.reply.code == 250
    assert "kept" in result.reply.text
    (got,) = keeper.received
    assert got.mail_from == "alice@example.org"
    assert got.rcpt_tos == ["bob@example.net"]
    assert got.host_name == "client.example.org"
    assert got.content == bytes(msg)
    assert "C: EHLO client.example.org" in c.transcript
    assert "C: QUIT" in c.transcript


def test_aiosmtpd_module_send(keeper: KeepingHandler, aiosmtpd_port: int) -> None:
    msg = Message.build(sender="a@example.org", to="b@example.net", subject="one shot", text="x")
    result = mailroom.send(msg, "127.0.0.1", aiosmtpd_port, timeout=10)
    assert result.accepted == ["b@example.net"]
    assert keeper.received[0].content == bytes(msg)


def test_aiosmtpd_multiple_recipients(keeper: KeepingHandler, aiosmtpd_port: int) -> None:
    msg = Message.build(
        sender="alice@example.org",
        to=["bob@example.net", "Carol <carol@example.net>"],
        cc="dave@example.com",
        subject="to many",
        text="everyone",
    )
    with SMTPClient("127.0.0.1", aiosmtpd_port, timeout=10) as c:
        result = c.send(msg)
    want = ["bob@example.net", "carol@example.net", "dave@example.com"]
    assert result.accepted == want
    assert list(result.rcpt_replies) == want
    assert all(r.code == 250 for r in result.rcpt_replies.values())
    (got,) = keeper.received
    assert got.rcpt_tos == want
    assert got.content == bytes(msg)


def test_aiosmtpd_many_messages_one_connection(keeper: KeepingHandler, aiosmtpd_port: int) -> None:
    msgs = [
        Message.build(
            sender="alice@example.org",
            to=f"bob{i}@example.net",
            subject=f"number {i}",
            text=f"message {i}\n" * (i + 1),
        )
        for i in range(30)
    ]
    with SMTPClient("127.0.0.1", aiosmtpd_port, timeout=10) as c:
        for i, m in enumerate(msgs):
            assert c.send(m, bdat=False).accepted == [f"bob{i}@example.net"]
        assert c.messages_sent == 30
    assert [r.content for r in keeper.received] == [bytes(m) for m in msgs]
    assert [r.rcpt_tos for r in keeper.received] == [[f"bob{i}@example.net"] for i in range(30)]
    assert len({r.peer for r in keeper.received}) == 1  # one connection
    assert c.transcript.count("C: EHLO") == 1


def test_aiosmtpd_refused_recipient(keeper: KeepingHandler, aiosmtpd_port: int) -> None:
    msg = Message.build(
        sender="alice@example.org",
        to=["bob@example.net", "nobody@example.net"],
        subject="one refused",
        text="x",
    )
    with SMTPClient("127.0.0.1", aiosmtpd_port, timeout=10) as c:
        result = c.send(msg)
        assert result.ok
        assert result.accepted == ["bob@example.net"]
        assert list(result.refused) == ["nobody@example.net"]
        refusal = result.refused["nobody@example.net"]
        assert refusal.code == 550
        assert "no such user" in str(refusal)
        # Every recipient refused: an exception, and the session stays usable.
        with pytest.raises(mailroom.SMTPRecipientsRefused) as info:
            c.send(msg, recipients=["nobody@example.net"])
        assert info.value.recipients["nobody@example.net"].code == 550
        assert info.value.code == 550
        again = c.send(msg, recipients=["carol@example.net"])
        assert again.accepted == ["carol@example.net"]
    assert [r.rcpt_tos for r in keeper.received] == [["bob@example.net"], ["carol@example.net"]]


def test_aiosmtpd_helo_fallback() -> None:
    keeper = KeepingHandler(refuse_ehlo=True)
    msg = Message.build(sender="a@example.org", to="b@example.net", subject="helo", text="old")
    with aiosmtpd_server(keeper, enable_SMTPUTF8=False) as port:
        with SMTPClient("127.0.0.1", port, helo="client.example.org", timeout=10) as c:
            result = c.send(msg)
            assert not c.extensions["esmtp"]
            assert "C: HELO client.example.org" in c.transcript
    assert result.accepted == ["b@example.net"]
    (got,) = keeper.received
    assert got.host_name == "client.example.org"
    assert got.content == bytes(msg)
    assert got.mail_options == []


def test_aiosmtpd_helo_only_refuses_8bit_locally() -> None:
    """Without EHLO there is no 8BITMIME: 8-bit data is not sent, it is an error."""
    keeper = KeepingHandler(refuse_ehlo=True)
    raw = "From: a@example.org\r\nTo: b@example.net\r\nSubject: 8bit\r\n\r\nGrüße\r\n".encode()
    with aiosmtpd_server(keeper, enable_SMTPUTF8=False) as port:
        with SMTPClient("127.0.0.1", port, timeout=10) as c:
            with pytest.raises(mailroom.SMTPDataError):
                c.send(raw)
            # The session is still good for 7-bit mail.
            ok = c.send(raw.replace("Grüße".encode(), b"Gruesse"))
            assert ok.accepted == ["b@example.net"]
    assert len(keeper.received) == 1
    assert b"Gruesse" in keeper.received[0].content


def test_aiosmtpd_8bit_and_smtputf8(keeper: KeepingHandler, aiosmtpd_port: int) -> None:
    raw = (
        "From: 앨리스 <앨리스@example.org>\r\n"
        "To: 밥 <밥@example.net>\r\n"
        f"Subject: {KOREAN_SUBJECT}\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n"
        "\r\n"
        "본문입니다.\r\n.점으로 시작하는 줄\r\n"
    ).encode()
    with SMTPClient("127.0.0.1", aiosmtpd_port, timeout=10) as c:
        result = c.send(raw)
    assert result.sender == "앨리스@example.org"
    assert result.accepted == ["밥@example.net"]
    (got,) = keeper.received
    assert got.mail_from == "앨리스@example.org"
    assert got.rcpt_tos == ["밥@example.net"]
    assert got.smtp_utf8
    assert "BODY=8BITMIME" in [o.upper() for o in got.mail_options]
    assert got.content == raw


def test_aiosmtpd_8bit_body_with_ascii_envelope(keeper: KeepingHandler, aiosmtpd_port: int) -> None:
    raw = (
        "From: alice@example.org\r\nTo: bob@example.net\r\nSubject: 8bit body\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n"
        "\r\n한국어 본문\r\n"
    ).encode()
    with SMTPClient("127.0.0.1", aiosmtpd_port, timeout=10) as c:
        c.send(raw)
    (got,) = keeper.received
    assert got.content == raw
    assert "BODY=8BITMIME" in [o.upper() for o in got.mail_options]


def test_aiosmtpd_utf8_address_without_smtputf8() -> None:
    keeper = KeepingHandler()
    raw = "From: a@example.org\r\nTo: 밥@example.net\r\nSubject: x\r\n\r\nx\r\n".encode()
    with aiosmtpd_server(keeper, enable_SMTPUTF8=False) as port:
        with SMTPClient("127.0.0.1", port, timeout=10) as c:
            assert not c.extensions["smtputf8"]
            with pytest.raises(mailroom.SMTPDataError, match="SMTPUTF8"):
                c.send(raw)
            # Nothing was sent for it; an ASCII envelope still goes.
            c.send(raw.replace("밥".encode(), b"bob"))
    assert [r.rcpt_tos for r in keeper.received] == [["bob@example.net"]]


def test_aiosmtpd_sender_refused() -> None:
    keeper = KeepingHandler(refuse_senders={"spammer@example.org"})
    msg = Message.build(sender="spammer@example.org", to="b@example.net", subject="s", text="x")
    with aiosmtpd_server(keeper) as port:
        with SMTPClient("127.0.0.1", port, timeout=10) as c:
            with pytest.raises(mailroom.SMTPSenderRefused) as info:
                c.send(msg)
            assert info.value.sender == "spammer@example.org"
            assert info.value.code == 553
            assert "sender not allowed" in str(info.value)
            assert c.send(msg, sender="ok@example.org").accepted == ["b@example.net"]
    assert [r.mail_from for r in keeper.received] == ["ok@example.org"]


def test_aiosmtpd_data_refused() -> None:
    keeper = KeepingHandler(data_reply="554 5.6.0 content rejected")
    msg = Message.build(sender="a@example.org", to="b@example.net", subject="s", text="x")
    with aiosmtpd_server(keeper) as port:
        with SMTPClient("127.0.0.1", port, timeout=10) as c:
            with pytest.raises(mailroom.SMTPDataError) as info:
                c.send(msg)
            assert info.value.code == 554
            keeper.data_reply = "250 OK"
            assert c.send(msg).ok


def test_aiosmtpd_421_ends_the_session() -> None:
    keeper = KeepingHandler(data_reply="421 4.3.2 shutting down")
    msg = Message.build(sender="a@example.org", to="b@example.net", subject="s", text="x")
    with aiosmtpd_server(keeper) as port:
        c = SMTPClient("127.0.0.1", port, timeout=10)
        try:
            with pytest.raises(mailroom.SMTPServerDisconnected) as info:
                c.send(msg)
            assert info.value.code == 421
            with pytest.raises(mailroom.SMTPServerDisconnected):
                c.send(msg)
        finally:
            c.close()


class SlowHandler(KeepingHandler):
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        import asyncio

        await asyncio.sleep(2)
        return "250 late"


def test_aiosmtpd_timeout() -> None:
    msg = Message.build(sender="a@example.org", to="b@example.net", subject="s", text="x")
    with aiosmtpd_server(SlowHandler()) as port:
        c = SMTPClient("127.0.0.1", port, timeout=0.5)
        try:
            with pytest.raises(mailroom.SMTPTimeoutError) as info:
                c.send(msg)
            assert info.value.code == 354  # the last reply before the wait
            with pytest.raises(mailroom.SMTPServerDisconnected):
                c.send(msg)
        finally:
            c.close()


def test_aiosmtpd_bcc_never_sent(keeper: KeepingHandler, aiosmtpd_port: int) -> None:
    built = Message.build(
        sender="alice@example.org",
        to="bob@example.net",
        bcc=["secret@example.net", "Hidden <hidden@example.com>"],
        subject="with bcc",
        text="nobody sees the Bcc",
    )
    raw = (
        b"From: alice@example.org\r\n"
        b"To: bob@example.net\r\n"
        b"BCC: first@example.net,\r\n"
        b"  second@example.net\r\n"
        b"Subject: raw bcc\r\n"
        b"bcc: third@example.net\r\n"
        b"\r\n"
        b"Bcc: this line is body text and stays\r\n"
    )
    with SMTPClient("127.0.0.1", aiosmtpd_port, timeout=10) as c:
        c.send(built)
        c.send(raw)
    first, second = keeper.received
    assert first.rcpt_tos == ["bob@example.net", "secret@example.net", "hidden@example.com"]
    head = first.content.split(b"\r\n\r\n", 1)[0]
    assert not any(line.lower().startswith(b"bcc") for line in head.split(b"\r\n"))
    assert first.content == bytes(built)
    assert b"secret@" not in first.content and b"hidden@" not in first.content
    assert sorted(second.rcpt_tos) == sorted(
        ["bob@example.net", "first@example.net", "second@example.net", "third@example.net"]
    )
    assert second.content == (
        b"From: alice@example.org\r\n"
        b"To: bob@example.net\r\n"
        b"Subject: raw bcc\r\n"
        b"\r\n"
        b"Bcc: this line is body text and stays\r\n"
    )


def test_aiosmtpd_envelope_from_headers(keeper: KeepingHandler, aiosmtpd_port: int) -> None:
    raw = (
        b"From: Boss <boss@example.org>\r\n"
        b"Sender: Assistant <assistant@example.org>\r\n"
        b"To: Bob <bob@example.net>, carol@example.net\r\n"
        b'Cc: "Dave, D." <dave@example.com>\r\n'
        b"Subject: on behalf\r\n"
        b"\r\n"
        b"body\r\n"
    )
    with SMTPClient("127.0.0.1", aiosmtpd_port, timeout=10) as c:
        from_headers = c.send(raw)
        given = c.send(raw, sender="bounces@example.org", recipients=["eve@example.net"])
    assert from_headers.sender == "assistant@example.org"
    assert given.sender == "bounces@example.org"
    a, b = keeper.received
    assert a.mail_from == "assistant@example.org"
    assert a.rcpt_tos == ["bob@example.net", "carol@example.net", "dave@example.com"]
    assert a.content == raw
    assert b.mail_from == "bounces@example.org"
    assert b.rcpt_tos == ["eve@example.net"]
    assert b.content == raw


# -- Postfix --------------------------------------------------------------------------
REFUSED = "nobody@example.net"


@pytest.fixture(scope="module")
def relay() -> Iterator[tuple[Server, Postfix]]:
    """A mailroom.Server behind a throwaway Postfix that relays everything to it."""
    with Server() as server, Postfix(server.smtp_port, refuse=(REFUSED,)) as postfix:
        yield server, postfix


def _after_trace_headers(relayed: bytes, original: bytes) -> None:
    """``relayed`` is ``original`` with only trace fields (Return-Path, Received)
    added in front."""
    assert relayed.endswith(original), relayed[:2000]
    added = relayed[: len(relayed) - len(original)]
    names = {
        line.split(b":", 1)[0].lower()
        for line in added.split(b"\r\n")
        if line and line[:1] not in (b" ", b"\t")
    }
    assert names <= {b"return-path", b"received"}, added


def test_postfix_relays_intact(relay: tuple[Server, Postfix]) -> None:
    server, postfix = relay
    subject = unique("through postfix")
    msg = Message.build(
        sender="Alice <alice@example.org>",
        to=["bob@example.net", "carol@example.net"],
        subject=subject,
        text="Hello\n.leading dot\n.\n..two dots\n" + "long line " * 50 + "\n",
        html="<p>Hello</p>",
    )
    with SMTPClient("127.0.0.1", postfix.port, timeout=30) as c:
        result = c.send(msg)
        assert c.extensions["smtputf8"] and c.extensions["8bitmime"]
    assert result.accepted == ["bob@example.net", "carol@example.net"]
    assert "queued as" in result.reply.text
    got = server.wait_for(subject=subject, timeout=30)
    assert got.envelope.mail_from == "alice@example.org"
    assert sorted(got.envelope.rcpt_to) == ["bob@example.net", "carol@example.net"]
    _after_trace_headers(bytes(got), bytes(msg))
    assert got.text == msg.text and got.html == msg.html
    assert got.get_all("Received")[-1].find(postfix.hostname) >= 0


def test_postfix_korean_subject_and_attachment(relay: tuple[Server, Postfix]) -> None:
    server, postfix = relay
    subject = unique(KOREAN_SUBJECT)
    msg = Message.build(
        sender="앨리스 <alice@example.org>",
        to="밥 <bob@example.net>",
        subject=subject,
        text="첨부 파일을 확인해 주세요.\n",
        attachments=[("분기 보고서.bin", ATTACHMENT, "application/octet-stream")],
    )
    with SMTPClient("127.0.0.1", postfix.port, timeout=30) as c:
        c.send(msg)
    got = server.wait_for(subject=subject, timeout=30)
    _after_trace_headers(bytes(got), bytes(msg))
    assert got.subject == subject
    assert got.text == msg.text
    (att,) = got.attachments
    assert att.filename == "분기 보고서.bin"
    assert att.data == ATTACHMENT


def test_postfix_smtputf8_envelope(relay: tuple[Server, Postfix]) -> None:
    server, postfix = relay
    subject = unique("utf8 envelope")
    raw = (
        f"From: 앨리스 <앨리스@example.org>\r\nTo: 밥@example.net\r\nSubject: {subject}\r\n"
        "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\nMessage-ID: <utf8@example.org>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n"
        "\r\n한국어 본문\r\n"
    ).encode()
    with SMTPClient("127.0.0.1", postfix.port, timeout=30) as c:
        c.send(raw)
    got = server.wait_for(subject=subject, timeout=30)
    assert got.envelope.mail_from == "앨리스@example.org"
    assert got.envelope.rcpt_to == ["밥@example.net"]
    _after_trace_headers(bytes(got), raw)


def test_postfix_many_messages_one_connection(relay: tuple[Server, Postfix]) -> None:
    server, postfix = relay
    tag = unique("batch")
    msgs = [
        Message.build(
            sender="alice@example.org",
            to="bob@example.net",
            subject=f"{tag} {i}",
            text=f"message {i}\n",
            attachments=[(f"n{i}.bin", bytes([i]) * (i * 100 + 1), "application/octet-stream")],
        )
        for i in range(25)
    ]
    with SMTPClient("127.0.0.1", postfix.port, timeout=30) as c:
        for m in msgs:
            assert c.send(m).accepted == ["bob@example.net"]
        assert c.messages_sent == 25
        assert c.transcript.count("C: EHLO") == 1
    got = server.wait_for_all(
        25, predicate=lambda m: (m.subject or "").startswith(tag + " "), timeout=60
    )
    by_subject = {m.subject: m for m in got}
    for i, m in enumerate(msgs):
        _after_trace_headers(bytes(by_subject[f"{tag} {i}"]), bytes(m))


def test_postfix_large_message(relay: tuple[Server, Postfix]) -> None:
    server, postfix = relay
    subject = unique("large")
    big = bytes(range(256)) * (12 * 1024)  # 3 MiB, base64 on the wire
    msg = Message.build(
        sender="alice@example.org",
        to="bob@example.net",
        subject=subject,
        text=".\n".join(f"line {i}" for i in range(20000)),
        attachments=[("big.bin", big, "application/octet-stream")],
    )
    with SMTPClient("127.0.0.1", postfix.port, timeout=60) as c:
        c.send(msg)
    got = server.wait_for(subject=subject, timeout=60)
    _after_trace_headers(bytes(got), bytes(msg))
    assert got.attachments[0].data == big


def test_postfix_bdat(relay: tuple[Server, Postfix]) -> None:
    server, postfix = relay
    subject = unique("chunked")
    msg = Message.build(
        sender="alice@example.org", to="bob@example.net", subject=subject, text=".\n" * 100
    )
    with SMTPClient("127.0.0.1", postfix.port, timeout=30) as c:
        assert c.extensions["chunking"]
        c.send(msg, bdat=True)
        assert "C: BDAT" in c.transcript
    _after_trace_headers(bytes(server.wait_for(subject=subject, timeout=30)), bytes(msg))


def test_postfix_refused_recipient(relay: tuple[Server, Postfix]) -> None:
    server, postfix = relay
    subject = unique("one refused by postfix")
    msg = Message.build(
        sender="alice@example.org", to=["bob@example.net", REFUSED], subject=subject, text="x"
    )
    with SMTPClient("127.0.0.1", postfix.port, timeout=30) as c:
        result = c.send(msg)
        assert result.accepted == ["bob@example.net"]
        refusal = result.refused[REFUSED]
        assert (refusal.code, refusal.enhanced) == (550, "5.1.1")
        assert "no such user here" in refusal.text
        with pytest.raises(mailroom.SMTPRecipientsRefused) as info:
            c.send(msg, recipients=[REFUSED])
        assert info.value.recipients[REFUSED].code == 550
        # Postfix keeps the session: the next message goes through.
        assert c.send(msg, recipients=["carol@example.net"]).accepted == ["carol@example.net"]
    got = server.wait_for_all(2, subject=subject, timeout=30)
    assert sorted(r for m in got for r in m.envelope.rcpt_to) == [
        "bob@example.net",
        "carol@example.net",
    ]


def test_postfix_offering_starttls_still_takes_plain_mail() -> None:
    """The client does not do TLS; a server that offers STARTTLS still gets the mail."""
    with Server() as server, Postfix(server.smtp_port, starttls=True) as postfix:
        msg = Message.build(sender="a@example.org", to="b@example.net", subject="tls", text="x")
        with SMTPClient("127.0.0.1", postfix.port, timeout=30) as c:
            assert c.extensions["starttls"]
            c.send(msg)
        _after_trace_headers(bytes(server.wait_for(subject="tls", timeout=30)), bytes(msg))


# -- Dovecot ---------------------------------------------------------------------------
BOB = "bob@example.net"

MAILDIR_MESSAGES = {
    "1700000001.M1P1.mailroom": (
        b"From: alice@example.org\nTo: bob@example.net\nSubject: first\n\nHello Bob\n"
    ),
    "1700000002.M2P2.mailroom": (
        b"From: alice@example.org\nTo: bob@example.net\nSubject: dots\n\n"
        b".a line starting with a dot\n.\n..\n...three\n. \nlast line\n"
    ),
    "1700000003.M3P3.mailroom": bytes(
        Message.build(
            sender="alice@example.org",
            to=BOB,
            subject=KOREAN_SUBJECT,
            text="첨부\n",
            attachments=[("보고서.bin", ATTACHMENT, "application/octet-stream")],
            date="Tue, 14 Nov 2023 22:13:20 +0000",
            message_id="<third@example.org>",
        )
    ).replace(b"\r\n", b"\n"),
}
NAMES = sorted(MAILDIR_MESSAGES)
WIRE = [MAILDIR_MESSAGES[n].replace(b"\n", b"\r\n") for n in NAMES]


@pytest.fixture(scope="module")
def dovecot_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dovecot]:
    tmp = tmp_path_factory.mktemp("dovecot")
    (tmp / "mail").mkdir()
    with Dovecot(tmp / "work", tmp / "mail") as d:
        yield d


@dataclass
class Mailbox:
    """A fresh POP3 user on the shared Dovecot, holding MAILDIR_MESSAGES."""

    dovecot: Dovecot
    user: str
    maildir: Path

    def files(self) -> list[Path]:
        return sorted(p for sub in ("new", "cur") for p in (self.maildir / sub).iterdir())

    def pop(self, **options: Any) -> POP3Client:
        d = self.dovecot
        return POP3Client("127.0.0.1", d.port, self.user, d.password, timeout=10, **options)


@pytest.fixture
def mailbox(dovecot_server: Dovecot) -> Mailbox:
    user = f"bob{next(_unique)}@example.net"
    return Mailbox(dovecot_server, user, dovecot_server.add_mailbox(user, MAILDIR_MESSAGES))


def mail_files(d: Dovecot, user: str) -> list[Path]:
    box = d.maildir_root / user
    return sorted(p for sub in ("new", "cur") for p in (box / sub).iterdir())


@pytest.mark.parametrize("auth", [None, "user", "plain"])
def test_pop3_login(mailbox: Mailbox, auth: str | None) -> None:
    with mailbox.pop(auth=auth) as p:
        assert p.stat() == (3, sum(len(w) for w in WIRE))
        transcript = p.transcript
    assert mailbox.dovecot.password not in transcript  # secrets stay out of transcripts
    if auth == "user":
        assert f"C: USER {mailbox.user}" in transcript
        assert "C: PASS" in transcript
    else:  # Dovecot offers SASL PLAIN, so the default is AUTH PLAIN
        assert "C: AUTH PLAIN" in transcript


@pytest.mark.parametrize("auth", ["user", "plain"])
def test_pop3_wrong_password(mailbox: Mailbox, auth: str) -> None:
    with pytest.raises(POP3Error) as info:
        POP3Client("127.0.0.1", mailbox.dovecot.port, mailbox.user, "wrong", auth=auth, timeout=10)
    assert info.value.code == "AUTH"
    assert "Authentication failed" in info.value.response


def test_pop3_stat_list_uidl_top_retr(mailbox: Mailbox) -> None:
    with mailbox.pop() as p:
        assert p.stat() == (3, sum(len(w) for w in WIRE))
        assert p.list() == {i + 1: len(w) for i, w in enumerate(WIRE)}
        assert p.list(2) == len(WIRE[1])
        assert p.uidl() == {i + 1: name for i, name in enumerate(NAMES)}
        assert p.uidl(3) == NAMES[2]
        for i, wire in enumerate(WIRE, start=1):
            head, body = wire.split(b"\r\n\r\n", 1)
            assert p.top(i, 0) == head + b"\r\n\r\n"
            assert p.top(i, 1) == head + b"\r\n\r\n" + body.split(b"\r\n")[0] + b"\r\n"
            assert p.retr_bytes(i) == wire
        third = p.retr(3)
        assert third.subject == KOREAN_SUBJECT
        assert third.attachments[0].filename == "보고서.bin"
        assert third.attachments[0].data == ATTACHMENT
        p.noop()


def test_pop3_retr_dot_lines_byte_exact(mailbox: Mailbox) -> None:
    with mailbox.pop() as p:
        data = p.retr_bytes(2)
        assert p.top(2, 3).endswith(b".a line starting with a dot\r\n.\r\n..\r\n")
    assert data == WIRE[1]
    assert b"\r\n.\r\n..\r\n...three\r\n. \r\n" in data


def test_pop3_dele_quit_removes(mailbox: Mailbox) -> None:
    with mailbox.pop() as p:
        p.dele(1)
        with pytest.raises(POP3Error):
            p.retr(1)  # deleted messages are gone for this session
        assert p.stat() == (2, len(WIRE[1]) + len(WIRE[2]))
    assert len(mailbox.files()) == 2
    with mailbox.pop() as p:
        assert p.uidl() == {1: NAMES[1], 2: NAMES[2]}
        assert p.retr_bytes(1) == WIRE[1]


def test_pop3_dele_close_keeps(mailbox: Mailbox) -> None:
    p = mailbox.pop()
    p.dele(1)
    p.dele(2)
    p.close()  # no QUIT: no UPDATE state, nothing is deleted
    with mailbox.pop() as p:
        assert p.stat()[0] == 3
        assert p.uidl() == {i + 1: n for i, n in enumerate(NAMES)}
    assert len(mailbox.files()) == 3


def test_pop3_rset_undeletes(mailbox: Mailbox) -> None:
    with mailbox.pop() as p:
        p.dele(1)
        p.dele(3)
        assert p.stat()[0] == 1
        p.rset()
        assert p.stat()[0] == 3
        assert p.retr_bytes(1) == WIRE[0]
    assert len(mailbox.files()) == 3


def test_pop3_fetch_all_keep_then_delete(mailbox: Mailbox) -> None:
    with mailbox.pop() as p:
        kept = p.fetch_all(delete=False)
    assert [bytes(m) for m in kept] == WIRE
    assert [m.subject for m in kept] == ["first", "dots", KOREAN_SUBJECT]
    assert len(mailbox.files()) == 3
    with mailbox.pop() as p:
        taken = p.fetch_all(delete=True)
    assert [bytes(m) for m in taken] == WIRE
    assert mailbox.files() == []
    with mailbox.pop() as p:
        assert p.stat() == (0, 0)
        assert p.fetch_all() == []


@pytest.mark.parametrize("pipelining", [True, False])
def test_pop3_many_and_large_messages(dovecot_server: Dovecot, pipelining: bool) -> None:
    files = {
        f"17000{i:05d}.M{i}P1.mailroom": (
            f"Subject: n{i}\n\n".encode()
            + bytes(range(32, 127)) * (i % 7 + 1)
            + (b"\n.\n" if i % 2 else b"\nno newline at the end")
        )
        for i in range(200)
    }
    files["1800000000.M0P0.mailroom"] = b"Subject: big\n\n" + (b"." + b"z" * 900 + b"\n") * 4000
    user = f"many{next(_unique)}@example.net"
    dovecot_server.add_mailbox(user, files)
    with POP3Client(
        "127.0.0.1",
        dovecot_server.port,
        user,
        dovecot_server.password,
        pipelining=pipelining,
        timeout=30,
    ) as p:
        ids = p.uidl()
        got = p.fetch_all()
    assert len(got) == len(files) == len(ids)
    for n, name in ids.items():
        want = files[name].replace(b"\n", b"\r\n")
        if not want.endswith(b"\r\n"):
            want += b"\r\n"  # Dovecot ends the last line
        assert bytes(got[n - 1]) == want, name


# -- the seeds' path, across real peers ---------------------------------------------------
def test_alice_to_bob_through_postfix_and_dovecot(tmp_path: Path) -> None:
    """Alice's user agent → SMTP → Postfix (relay) → mailroom.Server's Maildir
    → Dovecot (POP3) → Bob's user agent: the same message comes out."""
    maildir = tmp_path / "mail"
    subject = KOREAN_SUBJECT
    sent = Message.build(
        sender="앨리스 <alice@example.org>",
        to="밥 <bob@example.net>",
        bcc="archive@example.org",
        subject=subject,
        text="밥에게,\n보고서를 첨부합니다.\n.점으로 시작하는 줄\n",
        attachments=[("분기 보고서.pdf", ATTACHMENT, "application/pdf")],
    )
    with Server(maildir=maildir) as server:
        with Postfix(server.smtp_port) as postfix:
            with SMTPClient("127.0.0.1", postfix.port, timeout=30) as alice:
                result = alice.send(sent)
            assert result.accepted == ["bob@example.net", "archive@example.org"]
            stored = server.wait_for(to="bob@example.net", timeout=30)
            server.wait_for(to="archive@example.org", timeout=30)
    assert sorted(p.name for p in maildir.iterdir()) == ["archive@example.org", BOB]
    with Dovecot(tmp_path / "dovecot", maildir) as dovecot:
        with POP3Client("127.0.0.1", dovecot.port, BOB, dovecot.password, timeout=10) as bob:
            (fetched,) = bob.fetch_all(delete=True)
        assert mail_files(dovecot, BOB) == []
    assert bytes(fetched) == bytes(stored)
    _after_trace_headers(bytes(fetched), bytes(sent))
    assert fetched.subject == subject
    assert fetched.text == sent.text
    assert fetched.from_[0].address == "alice@example.org"
    assert "archive@" not in bytes(fetched).decode("utf-8", "replace")
    (att,) = fetched.attachments
    assert att.filename == "분기 보고서.pdf"
    assert att.content_type == "application/pdf"
    assert att.data == ATTACHMENT
