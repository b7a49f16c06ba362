"""The outgoing queue: relaying, the retry schedule on a manual clock,
bounces (RFC 3464), the spool across kill -9, and a real MTA as next hop."""

from __future__ import annotations

import email
import email.policy
import os
import signal
import smtplib
import subprocess
import sys
import time
from pathlib import Path

import pytest

import mailroom
from tests.peers import free_ports

MSG = b"From: alice@a.test\r\nTo: bob@b.test\r\nSubject: relay me\r\n\r\nHello Bob.\r\n"


def relay_pair(**a_options: object) -> tuple[mailroom.Server, mailroom.Server]:
    b = mailroom.Server(domains=["b.test"]).start()
    a = mailroom.Server(
        domains=["a.test"],
        routes={"b.test": f"127.0.0.1:{b.smtp_port}"},
        clock="manual",
        hostname="mx.a.test",
        **a_options,  # type: ignore[arg-type]
    ).start()
    return a, b


def send(server: mailroom.Server, sender: str, rcpts: list[str], data: bytes = MSG) -> None:
    with smtplib.SMTP(*server.smtp_address) as s:
        s.sendmail(sender, rcpts, data)


def bounces_in(server: mailroom.Server, mailbox: str) -> list[email.message.EmailMessage]:
    return [
        email.message_from_bytes(bytes(m), policy=email.policy.default)  # type: ignore[misc]
        for m in server.mailbox(mailbox)
        if m.envelope.mail_from == ""
    ]


def delivery_status(report: email.message.EmailMessage) -> list[dict[str, str]]:
    """The per-recipient blocks of a multipart/report; delivery-status."""
    assert report.get_content_type() == "multipart/report"
    assert report.get_param("report-type") == "delivery-status"
    parts = list(report.iter_parts())
    status = parts[1]
    assert status.get_content_type() == "message/delivery-status"
    blocks = list(status.get_payload())  # email parses each block as a header set
    return [dict(b.items()) for b in blocks[1:]]


def test_relay_through_route_with_retries_on_schedule() -> None:
    a, b = relay_pair()
    with a, b:
        b.reply(451, "Greylisted, try again later", recipient="bob@b.test", times=2)
        t0 = a.clock.time()
        send(a, "alice@a.test", ["bob@b.test"])
        a.queue.wait_idle()
        [entry] = list(a.queue)
        assert entry.attempts == 1 and entry.recipients[0].state == "pending"
        assert entry.recipients[0].last_code == 451
        assert "Greylisted" in entry.last_reply
        assert entry.next_attempt.timestamp() == pytest.approx(t0 + 1800, abs=1)
        assert len(b) == 0

        a.clock.advance(1799)  # not due yet
        assert list(a.queue)[0].attempts == 1
        a.clock.advance(1)  # second attempt: 451 again
        assert list(a.queue)[0].attempts == 2 and len(b) == 0
        a.clock.advance(1800)  # third attempt: accepted
        assert len(a.queue) == 0
        [got] = b.messages
        assert got.envelope.mail_from == "alice@a.test"
        assert got["Subject"] == "relay me"
        # Our Received line went with it, and no Return-Path from the relay.
        assert bytes(got).count(b"Return-Path:") == 1
        assert b"by mx.a.test (mailroom)" in bytes(got)
        kinds = [(e.kind, e.attempt) for e in a.queue.events]
        assert kinds == [("deferred", 1), ("deferred", 2), ("delivered", 3)]
        times = [e.at.timestamp() - t0 for e in a.queue.events]
        assert times == pytest.approx([0, 1800, 3600], abs=1)


def test_550_bounces_to_sender_as_multipart_report() -> None:
    a, b = relay_pair()
    with a, b:
        b.reply(550, "No such user here", recipient="ghost@b.test")
        send(a, "alice@a.test", ["ghost@b.test", "bob@b.test"])
        a.queue.wait_idle()
        assert len(a.queue) == 0
        assert [m.envelope.rcpt_to for m in b.messages] == [["bob@b.test"]]
        [report] = bounces_in(a, "alice@a.test")
        assert report["To"] == "alice@a.test"
        assert "MAILER-DAEMON@mx.a.test" in report["From"]
        assert report["Auto-Submitted"] == "auto-replied"
        [block] = delivery_status(report)
        assert block["Final-Recipient"] == "rfc822; ghost@b.test"
        assert block["Action"] == "failed"
        assert block["Status"] == "5.0.0"
        assert "550" in block["Diagnostic-Code"] and "No such user" in block["Diagnostic-Code"]
        assert block["Remote-MTA"] == "dns; 127.0.0.1"
        headers = list(report.iter_parts())[2]
        assert headers.get_content_type() == "text/rfc822-headers"
        assert "Subject: relay me" in headers.get_content()
        assert "Hello Bob" not in headers.get_content()
        [ev] = [e for e in a.queue.events if e.kind == "bounced"]
        assert ev.recipients == ["ghost@b.test"] and ev.code == 550


def test_down_for_the_whole_lifetime_bounces_after_five_days() -> None:
    a, b = relay_pair()
    b.stop()
    port = b.smtp_port or 1
    with a:
        t0 = a.clock.time()
        send(a, "alice@a.test", ["bob@b.test"])
        a.queue.wait_idle()
        [entry] = list(a.queue)
        assert entry.recipients[0].last_code == 0  # no connection
        assert "127.0.0.1" in entry.last_reply
        a.clock.advance(5 * 86400 - 1)
        assert len(a.queue) == 1 and bounces_in(a, "alice@a.test") == []
        a.clock.advance(1)
        assert len(a.queue) == 0
        [report] = bounces_in(a, "alice@a.test")
        [block] = delivery_status(report)
        assert block["Action"] == "failed"
        assert block["Status"] == "4.4.1"  # no answer from the host, then expired
        assert block["Diagnostic-Code"].startswith("X-Mailroom;")
        attempts = [e for e in a.queue.events if e.kind == "deferred"]
        assert len(attempts) == 5 * 48 + 1  # every 30 minutes, from 0 to 5 days
        assert a.clock.time() - t0 == pytest.approx(5 * 86400, abs=1)
    del port


def test_null_sender_is_never_bounced() -> None:
    a, b = relay_pair()
    with a, b:
        b.reply(550, "No such user", recipient="ghost@b.test")
        send(a, "", ["ghost@b.test"])
        a.queue.wait_idle()
        assert len(a.queue) == 0
        assert len(a) == 0  # no bounce anywhere
        assert [e.kind for e in a.queue.events] == ["bounced"]


def test_backoff_schedule_and_delay_warning() -> None:
    a, b = relay_pair(
        retry_interval=600, retry_backoff=True, max_retry_interval=3600, delay_warning=3000
    )
    b.stop()
    with a:
        t0 = a.clock.time()
        send(a, "alice@a.test", ["bob@b.test"])
        a.clock.advance(4 * 3600)
        at = [round(e.at.timestamp() - t0) for e in a.queue.events if e.kind == "deferred"]
        # 600, 1200, 2400, then the 3600 cap
        assert at == [0, 600, 1800, 4200, 7800, 11400]
        [warning] = bounces_in(a, "alice@a.test")
        assert warning["Subject"].startswith("Delayed Mail")
        [block] = delivery_status(warning)
        assert block["Action"] == "delayed"
        assert "Will-Retry-Until" in block


def test_relay_denied_for_outsiders_and_open_for_logins() -> None:
    b = mailroom.Server(domains=["b.test"]).start()
    a = mailroom.Server(
        domains=["a.test"],
        routes={"b.test": f"127.0.0.1:{b.smtp_port}"},
        relay_networks=["192.0.2.0/24"],  # not us
        users={"alice@a.test": "secret"},
        allow_plaintext_auth=True,
        clock="manual",
    ).start()
    with a, b:
        with smtplib.SMTP(*a.smtp_address) as s:
            with pytest.raises(smtplib.SMTPRecipientsRefused) as e:
                s.sendmail("alice@a.test", ["bob@b.test"], MSG)
            assert e.value.recipients["bob@b.test"][0] == 550
            assert b"5.7.1" in e.value.recipients["bob@b.test"][1]
            s.sendmail("x@elsewhere.test", ["carol@a.test"], MSG)  # local: fine
        with smtplib.SMTP(*a.smtp_address) as s:
            s.login("alice@a.test", "secret")
            s.sendmail("alice@a.test", ["bob@b.test"], MSG)
        a.queue.wait_idle()
        assert len(b) == 1 and len(a) == 1


def test_no_relay_without_routes_keeps_the_old_refusal() -> None:
    with mailroom.Server(domains=["a.test"]) as a:
        with smtplib.SMTP(*a.smtp_address) as s:
            with pytest.raises(smtplib.SMTPRecipientsRefused):
                s.sendmail("x@a.test", ["bob@b.test"], MSG)
        assert len(a.queue) == 0


def test_mail_loop_is_refused() -> None:
    a, b = relay_pair(max_received=3)
    with a, b:
        looped = b"Received: x\r\n" * 4 + MSG
        with smtplib.SMTP(*a.smtp_address) as s:
            with pytest.raises(smtplib.SMTPDataError) as e:
                s.sendmail("alice@a.test", ["bob@b.test"], looped)
        assert e.value.smtp_code == 554 and b"5.4.6" in e.value.smtp_error
        send(a, "alice@a.test", ["bob@b.test"], b"Received: x\r\n" * 3 + MSG)
        a.queue.wait_idle()
        assert len(b) == 1


def test_submit_flush_remove_and_hooks() -> None:
    a, b = relay_pair()
    with a, b:
        seen: list[mailroom.QueueEvent] = []
        a.queue.on_delivered(seen.append)
        b.reply(451, "later", recipient="bob@b.test", times=1)
        msg = mailroom.Message.build(
            sender="alice@a.test",
            to=["bob@b.test"],
            bcc=["carol@a.test"],
            subject="from Python",
            text="hi",
        )
        ident = a.submit(msg)
        a.queue.wait_idle()
        assert ident in a.queue and a.queue[ident].attempts == 1
        assert [m.envelope.rcpt_to for m in a.messages] == [["carol@a.test"]]
        a.queue.flush()
        assert len(a.queue) == 0 and len(b) == 1
        assert b.messages[0]["Bcc"] is None
        assert [e.id for e in seen] == [ident]

        b.reply(451, "later", recipient="dave@b.test")
        second = a.submit(MSG, sender="alice@a.test", recipients=["dave@b.test"])
        a.queue.wait_idle()
        a.queue.remove(second)
        assert second not in a.queue
        with pytest.raises(KeyError):
            a.queue.remove(second)
        a.clock.advance(86400)
        assert len(b) == 1 and bounces_in(a, "alice@a.test") == []


def test_hook_exception_is_reported_and_delivery_goes_on() -> None:
    a, b = relay_pair()
    with a, b:

        def boom(ev: mailroom.QueueEvent) -> None:
            raise RuntimeError("hook trouble")

        a.queue.on_delivered(boom)
        reported: list[object] = []
        old = sys.unraisablehook
        sys.unraisablehook = reported.append
        try:
            send(a, "alice@a.test", ["bob@b.test"])
            a.queue.wait_idle()
        finally:
            sys.unraisablehook = old
        assert len(b) == 1 and len(a.queue) == 0
        assert len(reported) == 1
        assert isinstance(reported[0].exc_value, RuntimeError)  # type: ignore[attr-defined]


def test_clock_and_settings_errors() -> None:
    with mailroom.Server() as s:
        with pytest.raises(ValueError, match="manual"):
            s.clock.advance(10)
        assert not s.clock.manual
    with pytest.raises(ValueError, match="clock"):
        mailroom.Server(clock="fast")
    with pytest.raises(ValueError, match="route"):
        mailroom.Server(routes={"b.test": "host:notaport"})
    with pytest.raises(ValueError, match="relay network"):
        mailroom.Server(routes={"b.test": "127.0.0.1:25"}, relay_networks=["10.0.0.0/99"])
    with pytest.raises(ValueError, match="spool"):
        mailroom.Server(spool="/nonexistent-ok")
    with pytest.raises(ValueError, match="retry_interval"):
        mailroom.Server(routes={"b.test": "127.0.0.1:25"}, retry_interval=0)


def test_queue_is_bounded() -> None:
    a, b = relay_pair(max_queue_entries=2)
    b.stop()
    with a:
        send(a, "alice@a.test", ["bob@b.test"])
        send(a, "alice@a.test", ["bob@b.test"])
        with smtplib.SMTP(*a.smtp_address) as s:
            with pytest.raises(smtplib.SMTPDataError) as e:
                s.sendmail("alice@a.test", ["bob@b.test"], MSG)
        assert e.value.smtp_code == 452
        assert len(a.queue) == 2


# -- the spool ------------------------------------------------------------------------


def start_serve(spool: Path, port: int, route: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mailroom",
            "serve",
            "--smtp-port",
            str(port),
            "--domain",
            "a.test",
            "--route",
            f"b.test={route}",
            "--spool",
            str(spool),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert "SMTP" in line, line + proc.stdout.read()
    return proc


def test_spool_survives_kill_9(tmp_path: Path) -> None:
    b = mailroom.Server(domains=["b.test"])
    b_port, port = free_ports(2)
    spool = tmp_path / "spool"
    # B is down: A accepts (250 after fsync), then dies at once.
    proc = start_serve(spool, port, f"127.0.0.1:{b_port}")
    try:
        with smtplib.SMTP("127.0.0.1", port) as s:
            s.sendmail("alice@a.test", ["bob@b.test"], MSG)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        proc.kill()
        proc.wait(10)
        assert proc.stdout is not None
        proc.stdout.close()
    assert len(list((spool / "queue").iterdir())) >= 1
    b = mailroom.Server(smtp_port=b_port, domains=["b.test"]).start()
    with b:
        proc = start_serve(spool, port, f"127.0.0.1:{b_port}")
        try:
            got = b.wait_for(timeout=20)
            assert got["Subject"] == "relay me"
            deadline = time.monotonic() + 10
            while list((spool / "queue").iterdir()) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert list((spool / "queue").iterdir()) == []
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(10)
            assert proc.stdout is not None
            proc.stdout.close()
        assert len(b) == 1


def test_spool_clean_stop_delivers_nothing_twice(tmp_path: Path) -> None:
    b = mailroom.Server(domains=["b.test"]).start()
    with b:
        route = {"b.test": f"127.0.0.1:{b.smtp_port}"}
        a = mailroom.Server(domains=["a.test"], routes=route, spool=tmp_path, clock="manual")
        with a:
            b.reply(451, "later", recipient="*@b.test", times=2)
            send(a, "alice@a.test", ["bob@b.test", "ghost@b.test"])
            b.reply(550, "no", recipient="ghost@b.test")
            a.queue.wait_idle()
            [entry] = list(a.queue)
            assert {r.address: r.state for r in entry.recipients} == {
                "bob@b.test": "pending",
                "ghost@b.test": "pending",
            }
        # Restarted from the spool: the entry is back with its attempt count.
        a2 = mailroom.Server(domains=["a.test"], routes=route, spool=tmp_path, clock="manual")
        with a2:
            a2.queue.wait_idle()  # a restart tries what waits at once
            assert len(a2.queue) == 0
            assert [e.kind for e in a2.queue.events] == ["delivered", "bounced"]
            [report] = bounces_in(a2, "alice@a.test")
            assert delivery_status(report)[0]["Final-Recipient"] == "rfc822; ghost@b.test"
        assert [m.envelope.rcpt_to for m in b.messages] == [["bob@b.test"]]
        a3 = mailroom.Server(domains=["a.test"], routes=route, spool=tmp_path, clock="manual")
        with a3:
            assert len(a3.queue) == 0
            a3.queue.flush()
        assert len(b) == 1
        assert os.listdir(tmp_path / "queue") == []


# -- a real MTA as the next hop ---------------------------------------------------------


def test_postfix_as_next_hop() -> None:
    # A (mailroom) -> Postfix smtpd -> sink (mailroom); Postfix refuses ghost.
    from tests.peers import Postfix

    with mailroom.Server() as sink, Postfix(sink.smtp_port, refuse=("ghost@example.org",)) as pf:
        a = mailroom.Server(
            domains=["a.test"], routes={"*": f"127.0.0.1:{pf.port}"}, clock="manual"
        ).start()
        with a:
            send(a, "alice@a.test", ["bob@example.org", "carol@example.org", "ghost@example.org"])
            a.queue.wait_idle(timeout=30)
            assert len(a.queue) == 0, list(a.queue)
            [ev] = [e for e in a.queue.events if e.kind == "delivered"]
            assert ev.code == 250
            assert sorted(ev.recipients) == ["bob@example.org", "carol@example.org"]
            [report] = bounces_in(a, "alice@a.test")
            [block] = delivery_status(report)
            assert block["Final-Recipient"] == "rfc822; ghost@example.org"
            assert block["Status"] == "5.1.1"
            got = sink.wait_for(timeout=30)
            assert got["Subject"] == "relay me"
            assert sorted(got.envelope.rcpt_to) == ["bob@example.org", "carol@example.org"]


def test_connections_are_reused_and_capped_per_destination() -> None:
    a, b = relay_pair(max_deliveries_per_destination=2)
    b_port = b.smtp_port
    b.stop()
    with a:
        with smtplib.SMTP(*a.smtp_address) as s:
            for i in range(30):
                s.sendmail("alice@a.test", [f"r{i % 3}@b.test"], MSG)
        a.queue.wait_idle()
        assert len(a.queue) == 30
        b2 = mailroom.Server(smtp_port=b_port, domains=["b.test"]).start()
        with b2:
            a.queue.flush()
            assert len(a.queue) == 0 and len(b2) == 30
            sessions = [x for x in b2.sessions if x.protocol == "smtp"]
            # 30 messages over at most 2 connections at a time, several per connection
            assert 1 <= len(sessions) <= 6
            assert max(x.messages for x in sessions) >= 5


def test_relay_uses_starttls_when_the_next_hop_offers_it() -> None:
    b = mailroom.Server(domains=["b.test"], tls="auto").start()
    plain = mailroom.Server(domains=["c.test"]).start()
    routes = {"b.test": f"127.0.0.1:{b.smtp_port}", "c.test": f"127.0.0.1:{plain.smtp_port}"}
    with b, plain:
        # may (the default): TLS to b.test, plain text to c.test
        with mailroom.Server(domains=["a.test"], routes=routes, clock="manual") as a:
            send(a, "alice@a.test", ["bob@b.test", "carol@c.test"])
            a.queue.wait_idle()
            assert len(a.queue) == 0
        assert "with ESMTPS" in b.messages[0]["Received"]
        assert "with ESMTPS" not in plain.messages[0]["Received"]
        assert any("STARTTLS" in t for t in b.transcripts)
        # encrypt: no STARTTLS at c.test defers; b.test still gets it
        with mailroom.Server(
            domains=["a.test"], routes=routes, clock="manual", delivery_tls="encrypt"
        ) as a:
            send(a, "alice@a.test", ["bob@b.test", "carol@c.test"])
            a.queue.wait_idle()
            [entry] = list(a.queue)
            assert entry.pending == ["carol@c.test"]
            assert "STARTTLS" in entry.recipients[1].last_reply
        assert len(b) == 2 and len(plain) == 1
    with pytest.raises(ValueError, match="delivery_tls"):
        mailroom.Server(routes=routes, delivery_tls="sometimes")


A_CHILD = """
import sys, time, mailroom
spool, b_port, submit = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "submit"
a = mailroom.Server(domains=["a.test"], routes={"b.test": f"127.0.0.1:{b_port}"}, spool=spool,
                    max_deliveries=1, max_deliveries_per_destination=1,
                    clock="manual" if submit else "real").start()
if submit:
    for i in range(1, 21):
        a.submit(f"Subject: m{i}\\r\\n\\r\\nbody {i}\\r\\n".encode(),
                 sender="alice@a.test", recipients=["bob@b.test"])
    a.queue.wait_idle()  # every first attempt got 451: all 20 wait, due together
print("ready", flush=True)
if submit:
    a.clock.advance(1800)  # one connection carries all 20 (killed in the middle)
time.sleep(120)
"""


def test_a_crash_mid_connection_resends_only_the_message_in_flight(tmp_path: Path) -> None:
    # Each message's outcome is written when its reply comes, not when the
    # connection's batch ends: killed while the 6th waits for its reply, A
    # sends again that one (in flight) and the rest, never the five before.
    spool = tmp_path / "spool"
    with mailroom.Server(domains=["b.test"]) as b:
        b.reply(451, "later", recipient="*@b.test", times=20)  # the first round: all wait
        b.reply(250, "OK", stage="data", times=5)  # then five go through,
        b.reply(delay=60, stage="data", times=1)  # and the 6th's 250 is held back

        def run(mode: str) -> subprocess.Popen[str]:
            cmd = [sys.executable, "-c", A_CHILD, str(spool), str(b.smtp_port), mode]
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
            return proc

        a = run("submit")
        try:
            b.wait_for_all(6, timeout=30)  # the 6th is stored; its 250 is not sent yet
            time.sleep(0.3)
        finally:
            a.send_signal(signal.SIGKILL)
            a.wait(10)
            assert a.stdout is not None
            a.stdout.close()
        a = run("restart")
        try:
            deadline = time.monotonic() + 30
            while len({m.subject for m in b.messages}) < 20 and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.5)
        finally:
            a.terminate()
            a.wait(10)
            assert a.stdout is not None
            a.stdout.close()
        subjects = [m.subject for m in b.messages]
    assert set(subjects) == {f"m{i}" for i in range(1, 21)}
    twice = sorted({s for s in subjects if subjects.count(s) > 1})
    assert len(twice) <= 1, twice  # at most the one in flight
