"""SMTPClient.send_many against a real mailroom.Server on loopback: many
messages pipelined over one connection (BDAT in the pipelined group), each
with its own result, in order; refusals in the results, not exceptions."""

from __future__ import annotations

import pytest

from mailroom import Server, SMTPClient


def make(
    i: int, size: int = 1024, sender: str = "a@example.org", to: str = "b@example.org"
) -> bytes:
    head = (f"From: {sender}\r\nTo: {to}\r\nSubject: message {i}\r\nX-Seq: {i}\r\n\r\n").encode()
    line = f"line of message {i} .\r\n".encode()
    body = (b"." + line) * (size // len(line) + 1)
    return head + body[:size] + b"\r\n"


def test_send_many_1000_arrive_intact_and_in_order() -> None:
    with Server() as s, SMTPClient(s.host, s.smtp_port, transcript=False) as c:
        assert c.extensions["pipelining"] and c.extensions["chunking"]
        sent = [make(i, size=64 + (i % 7) * 300) for i in range(1000)]
        results = c.send_many(sent)
        assert len(results) == 1000
        assert all(r.ok for r in results), [r.error for r in results if not r.ok][:3]
        assert all(r.accepted == ["b@example.org"] for r in results)
        got = s.wait_for_all(1000, predicate=lambda m: True, timeout=30)
        assert [int(m["X-Seq"]) for m in got] == list(range(1000))
        for m, data in zip(got, sent):
            assert m.raw.endswith(data)  # after our Return-Path and Received
            assert m.envelope.mail_from == "a@example.org"
        assert c.messages_sent == 1000


def test_send_many_refused_recipients_and_sender() -> None:
    with Server() as s:
        s.reply(550, "No such user", recipient="ghost@example.org")
        s.reply(550, "Sender blocked", sender="spammer@example.org")
        with SMTPClient(s.host, s.smtp_port) as c:
            results = c.send_many(
                [
                    make(0),
                    make(1),  # every recipient refused
                    make(2),  # one of two refused
                    make(3),  # sender refused
                    make(4),
                ],
                sender="a@example.org",
                recipients=["b@example.org"],
            )
            # Envelopes per message go through send_many one at a time too.
            more = c.send_many([make(1)], recipients=["ghost@example.org"])
            mixed = c.send_many([make(2)], recipients=["ghost@example.org", "c@example.org"])
            spam = c.send_many([make(3)], sender="spammer@example.org")
            last = c.send(make(5))
        assert [r.ok for r in results] == [True] * 5
        assert not more[0].ok
        assert more[0].accepted == []
        assert more[0].refused["ghost@example.org"].code == 550
        assert more[0].error == "no recipient accepted"
        assert mixed[0].ok
        assert mixed[0].accepted == ["c@example.org"]
        assert mixed[0].refused["ghost@example.org"].code == 550
        assert not spam[0].ok
        assert spam[0].mail_reply.code == 550
        assert spam[0].error.startswith("MAIL refused: 550")
        assert last.ok
        got = s.wait_for_all(7, predicate=lambda m: True)
        assert [int(m["X-Seq"]) for m in got] == [0, 1, 2, 3, 4, 2, 5]


def test_send_many_refusal_in_the_middle_of_a_pipeline() -> None:
    with Server(max_errors=1000) as s:  # refusals on purpose
        s.reply(550, "No such user", recipient="ghost@example.org")
        s.reply(550, "Sender blocked", sender="spammer@example.org")
        with SMTPClient(s.host, s.smtp_port) as c:
            # Envelopes from each message's headers: every fifth sender is
            # refused, every fifth message has only a refused recipient.
            batch = [
                make(
                    i,
                    sender="spammer@example.org" if i % 5 == 1 else "a@example.org",
                    to="ghost@example.org" if i % 5 == 3 else "b@example.org",
                )
                for i in range(30)
            ]
            results = c.send_many(batch)
            assert c.send(make(99)).ok  # the session is still usable
        want = [i % 5 not in (1, 3) for i in range(30)]
        assert [r.ok for r in results] == want
        got = s.wait_for_all(want.count(True) + 1, predicate=lambda m: True)
        assert [int(m["X-Seq"]) for m in got] == [i for i in range(30) if want[i]] + [99]


@pytest.mark.parametrize("transfer", ["data", "bdat", "auto"])
def test_send_many_transfers(transfer: str) -> None:
    with Server() as s, SMTPClient(s.host, s.smtp_port) as c:
        results = c.send_many([make(i) for i in range(20)], transfer=transfer)  # type: ignore[arg-type]
        assert all(r.ok for r in results)
        got = s.wait_for_all(20, predicate=lambda m: True)
        assert [int(m["X-Seq"]) for m in got] == list(range(20))
        if transfer != "data":
            assert "BDAT" in c.transcript
        else:
            assert "BDAT" not in c.transcript


def test_send_many_empty_and_bad_input() -> None:
    with Server() as s, SMTPClient(s.host, s.smtp_port) as c:
        assert c.send_many([]) == []
        with pytest.raises(ValueError):
            c.send_many([make(0), b"Subject: no envelope\r\n\r\nx\r\n"])
        with pytest.raises(ValueError):
            c.send_many([make(0)], transfer="smoke")  # type: ignore[arg-type]
        assert c.send_many([make(1)])[0].ok


def test_cr_or_lf_in_an_address_reaches_no_wire() -> None:
    with Server() as s, SMTPClient(s.host, s.smtp_port) as c:
        for sender, rcpt in (
            ("a@example.org\r\nRCPT TO:<x@evil.test>", "b@example.net"),
            ("a@example.org", "b@example.net\nDATA"),
        ):
            with pytest.raises(ValueError, match="CR, LF or NUL"):
                c.send(b"Subject: x\r\n\r\ny\r\n", sender, [rcpt])
        assert "MAIL FROM" not in c.transcript
        assert c.send(b"Subject: ok\r\n\r\ny\r\n", "a@example.org", ["b@example.net"]).ok
    assert [m.subject for m in s.messages] == ["ok"]
