"""mailroom.Server with real clients: Python's smtplib and raw sockets.

Transcripts read like the textbook: S: is the server, C: the client.
"""

from __future__ import annotations

import asyncio
import mailbox
import smtplib
import socket
import sys
import threading
import time
from email.message import EmailMessage
from pathlib import Path

import pytest

from mailroom import Message, Server


def strip_trace(data: bytes) -> bytes:
    """The message as the client sent it: without our Return-Path and Received."""
    assert data.startswith(b"Return-Path: <")
    head, _, rest = data.partition(b"\r\nReceived: ")
    # Received is folded over continuation lines starting with a tab.
    lines = rest.split(b"\r\n")
    i = 1
    while i < len(lines) and lines[i][:1] in (b"\t", b" "):
        i += 1
    return b"\r\n".join(lines[i:])


_open_sockets: list[socket.socket] = []


@pytest.fixture(autouse=True)
def _close_raw_sockets() -> None:
    yield
    while _open_sockets:
        _open_sockets.pop().close()


class Raw:
    """A raw SMTP client over a socket, for byte-exact transcripts."""

    def __init__(self, server: Server, timeout: float = 5.0) -> None:
        self.sock = socket.create_connection((server.host, server.smtp_port), timeout=timeout)
        _open_sockets.append(self.sock)
        self.buf = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def reply(self) -> bytes:
        """One complete (possibly multi-line) reply."""
        while True:
            lines = self.buf.split(b"\r\n")
            for n, line in enumerate(lines[:-1]):
                if len(line) >= 4 and line[3:4] == b" ":
                    out = b"\r\n".join(lines[: n + 1]) + b"\r\n"
                    self.buf = b"\r\n".join(lines[n + 1 :])
                    return out
            chunk = self.sock.recv(65536)
            if not chunk:
                out, self.buf = self.buf, b""
                return out
            self.buf += chunk

    def code(self) -> int:
        r = self.reply()
        return int(r[:3]) if r[:3].isdigit() else -1

    def closed(self) -> bool:
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def server() -> Server:
    with Server() as s:
        yield s


# -- life cycle -----------------------------------------------------------------------
def test_start_stop_and_free_port() -> None:
    s = Server()
    assert not s.running
    s.start()
    try:
        assert s.running and s.smtp_port > 0 and s.host == "127.0.0.1"
        assert s.smtp_address == ("127.0.0.1", s.smtp_port)
        assert "listening" in repr(s)
    finally:
        s.stop()
    assert not s.running
    s.stop()  # idempotent


def test_taken_port_raises_at_start() -> None:
    with Server() as first:
        with pytest.raises(OSError, match="cannot listen on 127.0.0.1:%d" % first.smtp_port):
            Server(smtp_port=first.smtp_port).start()


def test_bad_options_raise() -> None:
    with pytest.raises(ValueError):
        Server(smtp_port=70000)
    with pytest.raises(ValueError):
        Server(idle_timeout=0)
    with pytest.raises(ValueError):
        Server(max_recipients=0)
    with pytest.raises(ValueError, match="resolve"):
        Server(host="no-such-host.invalid").start()


def test_start_and_stop_are_fast() -> None:
    # Not a timed assertion on speed: a hang here would be a bug. Figures are in
    # benchmarks/, not tests.
    for _ in range(20):
        with Server() as s:
            assert s.running


# -- smtplib ----------------------------------------------------------------------------
def test_smtplib_send_message_with_attachment_stored_exactly(server: Server) -> None:
    em = EmailMessage()
    em["From"] = "Alice <alice@example.org>"
    em["To"] = "Bob <bob@example.net>"
    em["Subject"] = "Report"
    em.set_content("Line one\n.leading dot\n..two dots\n")
    em.add_attachment(
        bytes(range(256)) * 100, maintype="application", subtype="octet-stream", filename="data.bin"
    )
    sent = em.as_bytes(policy=em.policy.clone(linesep="\r\n"))
    with smtplib.SMTP(server.host, server.smtp_port) as c:
        c.sendmail("alice@example.org", ["bob@example.net"], sent)
    msg = server.wait_for(to="bob@example.net")
    assert strip_trace(bytes(msg)) == sent
    assert msg.subject == "Report"
    assert msg.attachments[0].data == bytes(range(256)) * 100
    assert msg.envelope.mail_from == "alice@example.org"
    assert msg.envelope.rcpt_to == ["bob@example.net"]
    assert msg.envelope.peer.startswith("127.0.0.1:")
    assert msg["Return-Path"] == "<alice@example.org>"
    assert "by localhost (mailroom) with ESMTP" in (msg["Received"] or "")
    assert ".leading dot" in (msg.text or "") and "..two dots" in (msg.text or "")


def test_one_copy_per_recipient_including_bcc(server: Server) -> None:
    m = Message.build(
        sender="alice@example.org",
        to="bob@example.net",
        cc="carol@example.net",
        bcc="dave@example.net",
        subject="hello",
        text="hi",
    )
    with smtplib.SMTP(server.host, server.smtp_port) as c:
        c.sendmail("alice@example.org", [a.address for a in m.recipients], bytes(m))
    server.wait_for(subject="hello")
    assert len(server.messages) == 1
    for who in ("bob@example.net", "carol@example.net", "dave@EXAMPLE.NET"):
        [copy] = server.mailbox(who)
        assert copy.subject == "hello"
        assert b"dave@" not in strip_trace(bytes(copy))
    assert server.mailbox("nobody@example.net") == []


def test_many_messages_on_one_connection(server: Server) -> None:
    with smtplib.SMTP(server.host, server.smtp_port) as c:
        for i in range(50):
            c.sendmail(
                "a@example.org", [f"r{i % 5}@example.net"], f"Subject: n{i}\r\n\r\nbody {i}\r\n"
            )
    got = server.wait_for_all(50, predicate=lambda m: True)
    assert [m.subject for m in got] == [f"n{i}" for i in range(50)]
    assert len(server.mailbox("r0@example.net")) == 10


def test_smtputf8(server: Server) -> None:
    with smtplib.SMTP(server.host, server.smtp_port) as c:
        c.ehlo()
        assert c.has_extn("smtputf8")
        c.sendmail(
            "zoë@example.org",
            ["사용자@example.net"],
            "Subject: 안녕\r\nFrom: zoë@example.org\r\n\r\nhello\r\n".encode(),
            mail_options=["SMTPUTF8", "BODY=8BITMIME"],
        )
    msg = server.wait_for(to="사용자@example.net")
    assert msg.envelope.mail_from == "zoë@example.org"
    assert msg.subject == "안녕"
    assert "UTF8SMTP" in (msg["Received"] or "")


def test_clear(server: Server) -> None:
    with smtplib.SMTP(server.host, server.smtp_port) as c:
        c.sendmail("a@example.org", ["b@example.net"], b"Subject: x\r\n\r\ny\r\n")
    server.wait_for()
    server.clear()
    assert server.messages == [] and server.mailbox("b@example.net") == []


# -- wait_for --------------------------------------------------------------------------------
def test_wait_for_counts_earlier_messages_and_wakes_on_arrival(server: Server) -> None:
    with smtplib.SMTP(server.host, server.smtp_port) as c:
        c.sendmail("a@example.org", ["b@example.net"], b"Subject: early\r\n\r\nx\r\n")

    def later() -> None:
        time.sleep(0.2)
        with smtplib.SMTP(server.host, server.smtp_port) as c:
            c.sendmail("a@example.org", ["b@example.net"], b"Subject: late\r\n\r\nx\r\n")

    t = threading.Thread(target=later)
    t.start()
    msgs = server.wait_for_all(2, to="b@example.net", timeout=10)
    t.join()
    assert [m.subject for m in msgs] == ["early", "late"]


def test_wait_for_timeout_lists_what_arrived(server: Server) -> None:
    with smtplib.SMTP(server.host, server.smtp_port) as c:
        c.sendmail("a@example.org", ["b@example.net"], b"Subject: other\r\n\r\nx\r\n")
    server.wait_for()
    with pytest.raises(TimeoutError) as e:
        server.wait_for(subject="wanted", timeout=0.2)
    assert "subject='wanted'" in str(e.value)
    assert "1 arrived" in str(e.value) and "other" in str(e.value)


# -- hooks and reply rules ----------------------------------------------------------------------
def test_on_message_hook_sees_message_and_can_refuse(server: Server) -> None:
    seen = []

    @server.on_message
    def hook(msg: Message):  # type: ignore[no-untyped-def]
        seen.append(msg.subject)
        if msg.subject == "spam":
            return (554, "Looks like spam")
        return None

    with smtplib.SMTP(server.host, server.smtp_port) as c:
        c.sendmail("a@example.org", ["b@example.net"], b"Subject: ham\r\n\r\nx\r\n")
        with pytest.raises(smtplib.SMTPDataError) as e:
            c.sendmail("a@example.org", ["b@example.net"], b"Subject: spam\r\n\r\nx\r\n")
        assert e.value.smtp_code == 554
    assert seen == ["ham", "spam"]
    assert [m.subject for m in server.messages] == ["ham"]


def test_hook_exception_gives_451_and_server_keeps_running(server: Server) -> None:
    reported = []
    old = sys.unraisablehook
    sys.unraisablehook = lambda u: reported.append(u)
    try:
        server.on_message(lambda m: 1 / 0)
        with smtplib.SMTP(server.host, server.smtp_port) as c:
            with pytest.raises(smtplib.SMTPDataError) as e:
                c.sendmail("a@example.org", ["b@example.net"], b"Subject: x\r\n\r\ny\r\n")
            assert e.value.smtp_code == 451
        server.remove_hooks()
        with smtplib.SMTP(server.host, server.smtp_port) as c:
            c.sendmail("a@example.org", ["b@example.net"], b"Subject: after\r\n\r\ny\r\n")
    finally:
        sys.unraisablehook = old
    assert server.wait_for().subject == "after"
    assert len(reported) == 1 and isinstance(reported[0].exc_value, ZeroDivisionError)


def test_reply_rule_550_for_one_recipient(server: Server) -> None:
    server.reply(550, "No such user here", recipient="ghost@example.net")
    with smtplib.SMTP(server.host, server.smtp_port) as c:
        refused = c.sendmail(
            "a@example.org", ["ghost@example.net", "bob@example.net"], b"Subject: x\r\n\r\ny\r\n"
        )
    assert refused == {"ghost@example.net": (550, b"5.0.0 No such user here")}
    assert server.wait_for().envelope.rcpt_to == ["bob@example.net"]


def test_reply_rule_451_twice_then_accept(server: Server) -> None:
    server.reply(451, "Try later", sender="*@example.org", times=2)
    codes = []
    for _ in range(3):
        with smtplib.SMTP(server.host, server.smtp_port) as c:
            try:
                c.sendmail("a@example.org", ["b@example.net"], b"Subject: x\r\n\r\ny\r\n")
                codes.append(250)
            except smtplib.SMTPSenderRefused as e:
                codes.append(e.smtp_code)
    assert codes == [451, 451, 250]


def test_reply_rule_delay_and_disconnect(server: Server) -> None:
    rule = server.reply(delay=0.3, stage="data")
    with smtplib.SMTP(server.host, server.smtp_port) as c:
        t0 = time.monotonic()
        c.sendmail("a@example.org", ["b@example.net"], b"Subject: slow\r\n\r\ny\r\n")
        assert time.monotonic() - t0 >= 0.25  # the delay is the feature under test
    rule.remove()
    server.reply(disconnect=True, recipient="*@down.test")
    with smtplib.SMTP(server.host, server.smtp_port) as c:
        with pytest.raises((smtplib.SMTPServerDisconnected, smtplib.SMTPRecipientsRefused)):
            c.sendmail("a@example.org", ["x@down.test"], b"Subject: x\r\n\r\ny\r\n")


def test_reply_rule_bad_arguments(server: Server) -> None:
    with pytest.raises(ValueError):
        server.reply(999)
    with pytest.raises(ValueError):
        server.reply()
    with pytest.raises(ValueError):
        server.reply(550, "x\r\n250 ok")


def test_domains_refuse_others_with_550_571() -> None:
    with Server(domains=["example.net"]) as s:
        with smtplib.SMTP(s.host, s.smtp_port) as c:
            refused = c.sendmail(
                "a@example.org", ["b@EXAMPLE.net", "c@elsewhere.org"], b"Subject: x\r\n\r\ny\r\n"
            )
        assert refused["c@elsewhere.org"][0] == 550
        assert refused["c@elsewhere.org"][1].startswith(b"5.7.1")
        assert len(s.mailbox("b@example.net")) == 1


# -- Maildir ------------------------------------------------------------------------
def test_maildir_layout_readable_by_python_and_survives_restart(tmp_path: Path) -> None:
    with Server(maildir=tmp_path) as s:
        with smtplib.SMTP(s.host, s.smtp_port) as c:
            c.sendmail(
                "a@example.org",
                ["bob@example.net", "carol@example.net"],
                b"Subject: kept\r\n\r\nbody\r\n",
            )
        s.wait_for()
    box = tmp_path / "bob@example.net"
    # The account's Maildir is its INBOX; the RFC 6154 folders are Maildir++
    # subfolders; the UID list and MODSEQ log sit beside them.
    assert {"cur", "new", "tmp", "dovecot-uidlist", "mailroom-modseq"} <= {
        p.name for p in box.iterdir()
    }
    assert len(list((box / "new").iterdir())) == 1 and not list((box / "tmp").iterdir())
    md = mailbox.Maildir(box, create=False)
    [m] = list(md)
    assert m["Subject"] == "kept"
    assert sorted(md.list_folders()) == ["Archive", "Drafts", "Junk", "Sent", "Trash"]
    with Server(maildir=tmp_path) as again:
        assert [x.subject for x in again.mailbox("bob@example.net")] == ["kept"]
        assert again.mailbox("bob@example.net")[0].envelope.mail_from == "a@example.org"
        assert len(again.mailbox("carol@example.net")) == 1


# -- protocol over a raw socket -----------------------------------------------------------------
def test_transcript_reads_like_the_textbook(server: Server) -> None:
    r = Raw(server)
    assert r.reply().startswith(b"220 localhost ESMTP")
    r.send(b"HELO client.example\r\n")
    assert r.code() == 250
    r.send(b"MAIL FROM:<alice@example.org>\r\n")
    assert r.code() == 250
    r.send(b"RCPT TO:<bob@example.net>\r\n")
    assert r.code() == 250
    r.send(b"DATA\r\n")
    assert r.code() == 354
    r.send(b"Subject: hi\r\n\r\nHello Bob\r\n.\r\n")
    assert r.code() == 250
    r.send(b"QUIT\r\n")
    assert r.code() == 221
    r.close()
    server.wait_for()
    [t] = server.transcripts
    lines = t.splitlines()
    assert lines[0].startswith("S: 220 ")
    assert "C: HELO client.example" in lines
    assert "C: MAIL FROM:<alice@example.org>" in lines
    assert lines[-1].startswith("S: 221")


@pytest.mark.parametrize("trick", [b"\n.\n", b"\n.\r\n", b"\r.\r\n", b"\r\n.\n", b"\r\n.\r"])
def test_smuggling_never_makes_a_second_message(server: Server, trick: bytes) -> None:
    # RFC 5321 §4.1.1.4: only CRLF.CRLF ends DATA.
    r = Raw(server)
    r.reply()
    r.send(b"EHLO x\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n")
    for _ in range(4):
        r.reply()
    r.send(
        b"Subject: first\r\n\r\nbody"
        + trick
        + b"MAIL FROM:<evil@example.org>\r\nRCPT TO:<victim@example.net>\r\nDATA\r\n"
        + b"Subject: smuggled\r\n\r\nx\r\n.\r\n"
    )
    assert r.code() == 250
    r.send(b"QUIT\r\n")
    r.close()
    msg = server.wait_for()
    time.sleep(0.05)
    assert len(server.messages) == 1
    assert server.mailbox("victim@example.net") == []
    assert b"MAIL FROM:<evil@example.org>" in bytes(msg)


def test_pipelining_replies_in_order(server: Server) -> None:
    r = Raw(server)
    r.reply()
    r.send(b"EHLO x\r\n")
    assert b"PIPELINING" in r.reply()
    r.send(
        b"MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nRCPT TO:<bad>\r\n"
        b"RCPT TO:<c@example.net>\r\nDATA\r\nSubject: p\r\n\r\nx\r\n.\r\nRSET\r\nNOOP\r\nQUIT\r\n"
    )
    codes = [r.code() for _ in range(9)]
    assert codes == [250, 250, 501, 250, 354, 250, 250, 250, 221]
    assert server.wait_for().envelope.rcpt_to == ["b@example.net", "c@example.net"]


def test_bdat_chunking(server: Server) -> None:
    r = Raw(server)
    r.reply()
    r.send(b"EHLO x\r\n")
    assert b"CHUNKING" in r.reply()
    r.send(b"MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\n")
    assert (r.code(), r.code()) == (250, 250)
    part1 = b"Subject: chunked\r\n\r\n.line with a dot\r\n"
    part2 = b"binary \x00\xff end\r\n"
    r.send(b"BDAT %d\r\n" % len(part1) + part1)
    assert r.code() == 250
    r.send(b"BDAT %d LAST\r\n" % len(part2) + part2)
    assert r.code() == 250
    msg = server.wait_for()
    assert strip_trace(bytes(msg)) == part1 + part2


def test_command_line_over_512_octets_gets_500(server: Server) -> None:
    r = Raw(server)
    r.reply()
    r.send(b"NOOP " + b"x" * 600 + b"\r\n")
    assert r.code() == 500
    r.send(b"NOOP\r\n")
    assert r.code() == 250


def test_bare_lf_in_command_rejected(server: Server) -> None:
    r = Raw(server)
    r.reply()
    r.send(b"EHLO x\n")
    assert r.code() == 500


def test_recipient_cap_452() -> None:
    with Server(max_recipients=3) as s:
        with smtplib.SMTP(s.host, s.smtp_port) as c:
            refused = c.sendmail(
                "a@example.org", [f"r{i}@example.net" for i in range(5)], b"Subject: x\r\n\r\ny\r\n"
            )
        assert sorted(refused) == ["r3@example.net", "r4@example.net"]
        assert all(code == 452 for code, _ in refused.values())
        assert len(s.wait_for().envelope.rcpt_to) == 3


def test_size_cap_at_mail_and_in_flight() -> None:
    with Server(max_message_size=10_000) as s:
        with smtplib.SMTP(s.host, s.smtp_port) as c:
            c.ehlo()
            assert c.esmtp_features["size"] == "10000"
            with pytest.raises(smtplib.SMTPSenderRefused) as e:
                c.sendmail("a@example.org", ["b@example.net"], b"x" * 20_000)  # SIZE= at MAIL
            assert e.value.smtp_code == 552
        r = Raw(s)
        r.reply()
        r.send(b"HELO x\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n")
        assert [r.code() for _ in range(4)] == [250, 250, 250, 354]
        r.send(b"y" * 20_000 + b"\r\n.\r\n")  # no SIZE= given: checked while data flows
        assert r.code() == 552
        r.send(b"NOOP\r\n")
        assert r.code() == 250
        assert s.messages == []


def test_long_text_lines_rejected_when_configured() -> None:
    long_line = b"Subject: x\r\n\r\n" + b"z" * 1200 + b"\r\n"
    with Server(reject_long_lines=True) as s:
        with smtplib.SMTP(s.host, s.smtp_port) as c:
            with pytest.raises(smtplib.SMTPDataError):
                c.sendmail("a@example.org", ["b@example.net"], long_line)
    with Server() as s:
        with smtplib.SMTP(s.host, s.smtp_port) as c:
            c.sendmail("a@example.org", ["b@example.net"], long_line)
        assert b"z" * 1200 in bytes(s.wait_for())


def test_idle_timeout_421() -> None:
    with Server(idle_timeout=0.05) as s:
        r = Raw(s)
        r.reply()
        time.sleep(0.3)
        reply = r.reply()
        assert reply.startswith(b"421 4.4.2")
        assert r.closed()


def test_connection_cap() -> None:
    with Server(max_connections=2) as s:
        a, b = Raw(s), Raw(s)
        assert a.code() == 220 and b.code() == 220
        c = Raw(s)
        assert c.code() == 421
        assert c.closed()
        a.close()
        b.close()


def test_too_many_errors_closes_the_session() -> None:
    with Server(max_errors=3) as s:
        r = Raw(s)
        r.reply()
        r.send(b"BOGUS\r\nBOGUS\r\nBOGUS\r\n")
        replies = [r.reply() for _ in range(4)]
        assert [x[:3] for x in replies] == [b"500", b"500", b"500", b"421"]
        assert r.closed()


def test_500_concurrent_connections_none_lost() -> None:
    async def client(port: int, i: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)

        async def reply() -> bytes:
            while True:
                line = await reader.readline()
                if line[3:4] != b"-":
                    return line

        assert (await reply()).startswith(b"220")
        writer.write(b"EHLO c\r\n")
        await reply()
        for k in range(2):
            writer.write(
                b"MAIL FROM:<c%d@example.org>\r\nRCPT TO:<box%d@example.net>\r\nDATA\r\n"
                % (i, i % 10)
            )
            for _ in range(3):
                await reply()
            writer.write(b"Subject: m%d-%d\r\n\r\nbody\r\n.\r\n" % (i, k))
            assert (await reply()).startswith(b"250")
        writer.write(b"QUIT\r\n")
        await reply()
        writer.close()
        await writer.wait_closed()

    async def main(port: int) -> None:
        await asyncio.gather(*(client(port, i) for i in range(500)))

    with Server() as s:
        asyncio.run(main(s.smtp_port))
        got = s.wait_for_all(1000, predicate=lambda m: True, timeout=30)
        assert len({m.subject for m in got}) == 1000
        assert sum(len(s.mailbox(f"box{i}@example.net")) for i in range(10)) == 1000


# -- the pytest plugin ------------------------------------------------------------------------
def test_mail_server_fixture(mail_server: Server) -> None:
    assert mail_server.running
    with smtplib.SMTP(*mail_server.smtp_address) as c:
        c.sendmail("a@example.org", ["b@example.net"], b"Subject: fixture\r\n\r\nx\r\n")
    assert mail_server.wait_for().subject == "fixture"


def test_mail_server_session_fixture(mail_server_session: Server) -> None:
    mail_server_session.clear()
    assert mail_server_session.running
    assert mail_server_session.messages == []


def test_maildir_is_read_by_dovecot(tmp_path: Path) -> None:
    import poplib

    from .peers import Dovecot

    maildir = tmp_path / "mail"
    sent = b"From: a@example.org\r\nSubject: for dovecot\r\n\r\nline\r\n.dotted\r\n"
    with Server(maildir=maildir) as s:
        with smtplib.SMTP(s.host, s.smtp_port) as c:
            c.sendmail("a@example.org", ["bob@example.net"], sent)
        ours = bytes(s.wait_for())
    with Dovecot(tmp_path / "dovecot", maildir) as dovecot:
        pop = poplib.POP3("127.0.0.1", dovecot.port, timeout=10)
        try:
            pop.user("bob@example.net")
            pop.pass_(dovecot.password)
            assert pop.stat()[0] == 1
            _, lines, _ = pop.retr(1)
        finally:
            pop.quit()
    assert b"\r\n".join(lines) + b"\r\n" == ours


def test_store_is_bounded_452_then_room_after_clear() -> None:
    with Server(max_stored_messages=3) as s:
        with smtplib.SMTP(s.host, s.smtp_port) as c:
            c.sendmail(
                "a@example.org", ["b@example.net", "c@example.net"], b"Subject: 1\r\n\r\nx\r\n"
            )
            with pytest.raises(smtplib.SMTPDataError) as e:
                c.sendmail(
                    "a@example.org", ["b@example.net", "c@example.net"], b"Subject: 2\r\n\r\nx\r\n"
                )
            assert e.value.smtp_code == 452 and b"4.3.1" in e.value.smtp_error
            s.clear()
            c.sendmail("a@example.org", ["b@example.net"], b"Subject: 3\r\n\r\nx\r\n")
        assert [m.subject for m in s.messages] == ["3"]
    with Server(max_stored_bytes=1000) as s, smtplib.SMTP(s.host, s.smtp_port) as c:
        with pytest.raises(smtplib.SMTPDataError) as e:
            c.sendmail("a@example.org", ["b@example.net"], b"Subject: big\r\n\r\n" + b"x" * 2000)
        assert e.value.smtp_code == 452
