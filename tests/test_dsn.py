"""Delivery status notifications (RFC 3461, 3464): the DSN parameters over
real SMTP clients, the reports the queue and local delivery send per NOTIFY,
Python's email reading every report, and Postfix both ways."""

from __future__ import annotations

import email
import email.message
import email.policy
import smtplib
import warnings
from pathlib import Path

import pytest

import mailroom
from mailroom import DeliveryReport, Message, SMTPClient
from tests.test_queue import MSG, bounces_in, delivery_status, relay_pair


def reports_in(server: mailroom.Server, mailbox: str) -> list[DeliveryReport]:
    return [DeliveryReport.parse(m) for m in server.mailbox(mailbox) if m.envelope.mail_from == ""]


def parsed_by_email(message: Message) -> email.message.EmailMessage:
    em = email.message_from_bytes(bytes(message), policy=email.policy.default)
    assert isinstance(em, email.message.EmailMessage)
    return em


# -- the parameters, from smtplib ------------------------------------------------------


def test_smtplib_mail_and_rcpt_options() -> None:
    with mailroom.Server() as server:
        hooked: list[mailroom.Envelope] = []
        server.on_message(lambda m: hooked.append(m.envelope))
        with smtplib.SMTP(*server.smtp_address) as s:
            s.ehlo()
            assert s.has_extn("dsn")
            s.sendmail(
                "alice@a.example",
                ["bob@b.example", "carol@b.example"],
                MSG,
                mail_options=["RET=HDRS", "ENVID=QQ314159+2Bx"],
                rcpt_options=["NOTIFY=SUCCESS,DELAY", "ORCPT=rfc822;Bob+40B.example"],
            )
        got = server.wait_for(to="bob@b.example")
        env = got.envelope
        assert (env.ret, env.envid) == ("HDRS", "QQ314159+x")
        assert env.notify == {
            "bob@b.example": ("SUCCESS", "DELAY"),
            "carol@b.example": ("SUCCESS", "DELAY"),
        }
        assert env.orcpt["bob@b.example"] == "rfc822;Bob@B.example"
        assert hooked[0] == env  # the message hook sees the same envelope
        transcript = server.transcripts[-1]
        assert "S: 250-DSN" in transcript
        assert " RET=HDRS ENVID=QQ314159+2Bx\nS: 250 2.1.0 Ok\n" in transcript
        assert (
            "C: rcpt TO:<bob@b.example> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;Bob+40B.example\n"
            "S: 250 2.1.5 Ok\n"
        ) in transcript
        # Local delivery answers NOTIFY=SUCCESS with one "delivered" report for both.
        [report] = reports_in(server, "alice@a.example")
        assert report.kind == "delivery-status"
        assert report.envelope_id == "QQ314159+x"
        assert [(r.final_recipient, r.action, r.status) for r in report.recipients] == [
            ("bob@b.example", "delivered", "2.0.0"),
            ("carol@b.example", "delivered", "2.0.0"),
        ]
        assert report.recipients[0].original_recipient == "Bob@B.example"
        assert report.original is not None and report.original["Subject"] == "relay me"
        # RET=HDRS: headers only.
        [blocks] = [delivery_status(parsed_by_email(m)) for m in server.mailbox("alice@a.example")]
        assert blocks[0]["Action"] == "delivered"
        em = parsed_by_email(server.mailbox("alice@a.example")[0])
        parts = list(em.iter_parts())
        assert parts[2].get_content_type() == "text/rfc822-headers"
        assert b"Hello Bob" not in bytes(server.mailbox("alice@a.example")[0])


def test_ret_full_returns_the_whole_message() -> None:
    with mailroom.Server() as server:
        with smtplib.SMTP(*server.smtp_address) as s:
            s.sendmail(
                "alice@a.example",
                ["bob@b.example"],
                MSG,
                mail_options=["RET=FULL"],
                rcpt_options=["NOTIFY=SUCCESS"],
            )
        [report] = server.mailbox("alice@a.example")
        em = parsed_by_email(report)
        assert em.get_content_type() == "multipart/report"
        returned = list(em.iter_parts())[2]
        assert returned.get_content_type() == "message/rfc822"
        inner = returned.get_payload()[0]
        assert inner["Subject"] == "relay me"
        assert "Hello Bob." in inner.get_content()
        parsed = DeliveryReport.parse(report)
        assert parsed.original is not None and "Hello Bob." in (parsed.original.text or "")


BAD_INPUT = [
    ("MAIL FROM:<a@a.example> RET=FULL RET=HDRS", 501, "bad RET"),
    ("MAIL FROM:<a@a.example> RET=ALL", 501, "bad RET"),
    ("MAIL FROM:<a@a.example> ENVID=a+zz", 501, "bad ENVID"),
    ("MAIL FROM:<a@a.example> ENVID=" + "e" * 101, 501, "bad ENVID"),
    ("MAIL FROM:<a@a.example> ENVID=a ENVID=b", 501, "bad ENVID"),
    ("MAIL FROM:<a@a.example> NOTIFY=SUCCESS", 555, "NOTIFY not recognized"),
    ("RCPT TO:<b@b.example> NOTIFY=NEVER,SUCCESS", 501, "bad NOTIFY"),
    ("RCPT TO:<b@b.example> NOTIFY=SUCCESS NOTIFY=FAILURE", 501, "bad NOTIFY"),
    ("RCPT TO:<b@b.example> NOTIFY=ALWAYS", 501, "bad NOTIFY"),
    ("RCPT TO:<b@b.example> ORCPT=b@b.example", 501, "bad ORCPT"),
    ("RCPT TO:<b@b.example> ORCPT=rfc822;b+4", 501, "bad ORCPT"),
    ("RCPT TO:<b@b.example> RET=HDRS", 555, "RET not recognized"),
    ("RCPT TO:<b@b.example> X-UNKNOWN=1", 555, "X-UNKNOWN not recognized"),
]


@pytest.mark.parametrize(("command", "code", "text"), BAD_INPUT)
def test_bad_dsn_parameters_get_the_rfc_reply(command: str, code: int, text: str) -> None:
    with mailroom.Server() as server:
        with smtplib.SMTP(*server.smtp_address) as s:
            s.ehlo()
            if command.startswith("RCPT"):
                assert s.docmd("MAIL FROM:<a@a.example>")[0] == 250
            got, reply = s.docmd(command)
            assert (got, reply.decode()[:5]) == (code, "5.5.4")
            assert text in reply.decode()
            # Nothing is queued: DATA has no transaction or no recipient.
            assert s.docmd("DATA")[0] in (503, 554)
        assert len(server) == 0


REPORT_LIKE = (
    b"From: alice@a.example\r\nSubject: a report\r\nMIME-Version: 1.0\r\n"
    b'Content-Type: multipart/report; report-type=delivery-status; boundary="b"'
    b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--\r\n"
)


def test_no_report_for_the_null_sender_or_for_a_report() -> None:
    with mailroom.Server() as server:
        with smtplib.SMTP(*server.smtp_address) as s:
            s.sendmail("", ["bob@b.example"], MSG, rcpt_options=["NOTIFY=SUCCESS"])
            s.sendmail(
                "alice@a.example", ["bob@b.example"], REPORT_LIKE, rcpt_options=["NOTIFY=SUCCESS"]
            )
            s.sendmail("alice@a.example", ["carol@b.example"], MSG, rcpt_options=["NOTIFY=SUCCESS"])
        server.wait_for(to="carol@b.example")
        assert [r.recipients[0].final_recipient for r in reports_in(server, "alice@a.example")] == [
            "carol@b.example"
        ]
        assert len(server) == 4  # three messages and one report


# -- the queue's reports -------------------------------------------------------------


def test_queue_reports_follow_notify() -> None:
    # NOTIFY per recipient: bob SUCCESS,DELAY; carol NEVER; dave FAILURE; erin none.
    a, b = relay_pair(delay_warning=3600)
    b_port = b.smtp_port
    b.stop()
    notify = {
        "bob@b.test": ("SUCCESS", "DELAY"),
        "carol@b.test": "never",
        "dave@b.test": ["FAILURE"],
    }
    rcpts = ["bob@b.test", "carol@b.test", "dave@b.test", "erin@b.test"]
    with a:
        with SMTPClient(*a.smtp_address) as c:
            c.send(MSG, "alice@a.test", rcpts, notify=notify, ret="hdrs", envid="order-17")
        a.queue.wait_idle()
        [entry] = list(a.queue)
        assert (entry.ret, entry.envid) == ("HDRS", "order-17")
        assert [r.notify for r in entry.recipients] == [
            ("SUCCESS", "DELAY"),
            ("NEVER",),
            ("FAILURE",),
            (),
        ]
        # The delay warning, per recipient: bob asked for it, erin gave no NOTIFY.
        a.clock.advance(3600)
        [delayed] = reports_in(a, "alice@a.test")
        assert [(r.final_recipient, r.action) for r in delayed.recipients] == [
            ("bob@b.test", "delayed"),
            ("erin@b.test", "delayed"),
        ]
        assert delayed.envelope_id == "order-17"
        [event] = [e for e in a.queue.events if e.kind == "delayed"]
        assert event.notify == {
            "bob@b.test": ("SUCCESS", "DELAY"),
            "carol@b.test": ("NEVER",),
            "dave@b.test": ("FAILURE",),
            "erin@b.test": (),
        }
        a.clock.advance(3600)  # no second warning
        assert len(reports_in(a, "alice@a.test")) == 1

        b2 = mailroom.Server(smtp_port=b_port, domains=["b.test"]).start()
        with b2:
            b2.reply(550, "No such user", recipient="carol@b.test")
            b2.reply(550, "No such user", recipient="dave@b.test")
            a.queue.flush()
            # carol failed with NOTIFY=NEVER: only dave's failure is reported.
            failed = [
                r for r in reports_in(a, "alice@a.test") if r.recipients[0].action == "failed"
            ]
            assert [[x.final_recipient for x in r.recipients] for r in failed] == [["dave@b.test"]]
            assert failed[0]["dave@b.test"].status == "5.0.0"
            [bounced] = [e for e in a.queue.events if e.kind == "bounced"]
            assert bounced.notify == {"carol@b.test": ("NEVER",), "dave@b.test": ("FAILURE",)}
            # The next hop offers DSN: the parameters went on unchanged and it
            # reports bob's delivery itself (no "relayed" report from a).
            got = b2.wait_for(to="bob@b.test")
            assert got.envelope.notify == {"bob@b.test": ("SUCCESS", "DELAY")}
            assert (got.envelope.ret, got.envelope.envid) == ("HDRS", "order-17")
            assert len(reports_in(a, "alice@a.test")) == 2
            [delivered] = reports_in(b2, "alice@a.test")
            assert delivered["bob@b.test"].action == "delivered"
            assert delivered.envelope_id == "order-17"
            # Python's email reads each of them as RFC 3464 says.
            actions = [
                [blk["Action"] for blk in delivery_status(parsed_by_email(m))]
                for server in (a, b2)
                for m in server.mailbox("alice@a.test")
            ]
            assert actions == [["delayed", "delayed"], ["failed"], ["delivered"]]


def test_relayed_report_when_the_next_hop_has_no_dsn() -> None:
    b = mailroom.Server(domains=["b.test"], dsn=False).start()
    a = mailroom.Server(
        domains=["a.test"], routes={"b.test": f"127.0.0.1:{b.smtp_port}"}, clock="manual"
    ).start()
    with a, b:
        with smtplib.SMTP(*a.smtp_address) as s:
            s.sendmail(
                "alice@a.test",
                ["bob@b.test", "carol@b.test"],
                MSG,
                mail_options=["ENVID=relay-1"],
                rcpt_options=["NOTIFY=SUCCESS,FAILURE"],
            )
        a.queue.wait_idle()
        got = b.wait_for(to="bob@b.test")
        assert got.envelope.notify == {} and got.envelope.envid is None
        assert "NOTIFY" not in b.transcripts[-1]
        [report] = reports_in(a, "alice@a.test")  # one report for both recipients
        assert [(r.final_recipient, r.action, r.status) for r in report.recipients] == [
            ("bob@b.test", "relayed", "2.0.0"),
            ("carol@b.test", "relayed", "2.0.0"),
        ]
        assert report.recipients[0].remote_mta == "127.0.0.1"
        assert report.envelope_id == "relay-1"
        [em] = [parsed_by_email(m) for m in a.mailbox("alice@a.test")]
        assert em["Subject"] == "Successful Mail Delivery Report"
        assert delivery_status(em)[0]["Action"] == "relayed"


def test_failed_report_unless_never_and_today_without_notify() -> None:
    a, b = relay_pair()
    with a, b:
        b.reply(550, "No such user", recipient="*@b.test")
        with smtplib.SMTP(*a.smtp_address) as s:
            s.sendmail("alice@a.test", ["x@b.test"], MSG, rcpt_options=["NOTIFY=NEVER"])
            s.sendmail("alice@a.test", ["y@b.test"], MSG)
            s.sendmail("alice@a.test", ["z@b.test"], REPORT_LIKE, rcpt_options=["NOTIFY=FAILURE"])
        a.queue.wait_idle()
        # No report for the report (z), nor for NOTIFY=NEVER (x).
        assert len(a.queue) == 0
        [bounce] = bounces_in(a, "alice@a.test")
        assert [blk["Final-Recipient"] for blk in delivery_status(bounce)] == ["rfc822; y@b.test"]


def test_dsn_parameters_survive_a_restart(tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    a = mailroom.Server(
        domains=["a.test"], routes={"b.test": "127.0.0.1:9"}, spool=spool, clock="manual"
    ).start()
    with a:
        with smtplib.SMTP(*a.smtp_address) as s:
            s.sendmail(
                "alice@a.test",
                ["bob@b.test"],
                MSG,
                mail_options=["RET=FULL", "ENVID=keep+20me"],
                rcpt_options=["NOTIFY=DELAY", "ORCPT=rfc822;Bob@B.test"],
            )
        a.queue.wait_idle()
    again = mailroom.Server(
        domains=["a.test"], routes={"b.test": "127.0.0.1:9"}, spool=spool, clock="manual"
    ).start()
    with again:
        [entry] = list(again.queue)
        assert (entry.ret, entry.envid) == ("FULL", "keep me")
        assert entry.recipients[0].notify == ("DELAY",)
        assert entry.recipients[0].orcpt == "rfc822;Bob@B.test"


# -- the client ---------------------------------------------------------------------


def test_client_rule_when_the_server_has_no_dsn() -> None:
    with mailroom.Server(dsn=False) as server:
        with SMTPClient(*server.smtp_address) as c:
            assert c.extensions["dsn"] is False
            with pytest.raises(mailroom.SMTPNotSupportedError, match="DSN"):
                c.send(MSG, "alice@a.example", ["bob@b.example"], notify=["SUCCESS"])
            assert len(server) == 0
            with pytest.warns(mailroom.DSNNotOfferedWarning):
                result = c.send(
                    MSG, "alice@a.example", ["bob@b.example"], notify="success", without_dsn="drop"
                )
            assert result.ok and result.dsn_dropped
        assert "NOTIFY" not in server.transcripts[-1]
        assert len(server) == 1


def test_client_sends_per_recipient_notify_and_checks_values() -> None:
    with mailroom.Server() as server:
        with SMTPClient(*server.smtp_address, transcript=True) as c:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                result = c.send(
                    MSG,
                    "alice@a.example",
                    ["bob@b.example", "carol@b.example"],
                    notify={"bob@b.example": ("SUCCESS", "DELAY")},
                    orcpt={"carol@b.example": "Carol@B.example"},
                    envid="a b",
                )
            assert result.ok and not result.dsn_dropped
            sent = c.transcript
            assert "C: RCPT TO:<bob@b.example> NOTIFY=SUCCESS,DELAY\n" in sent
            assert "C: RCPT TO:<carol@b.example> ORCPT=rfc822;Carol@B.example\n" in sent
            assert " ENVID=a+20b" in sent
            for bad in (
                {"notify": ["NEVER", "SUCCESS"]},
                {"notify": "sometimes"},
                {"notify": {"ghost@b.example": "SUCCESS"}},
                {"ret": "BODY"},
                {"envid": "x" * 101},
                {"envid": "tab\there"},
            ):
                with pytest.raises(ValueError):
                    c.send(MSG, "alice@a.example", ["bob@b.example"], **bad)  # type: ignore[arg-type]
        # The message, and the report bob's NOTIFY=SUCCESS asked for (only his).
        assert len(server) == 2
        [report] = reports_in(server, "alice@a.example")
        assert [r.final_recipient for r in report.recipients] == ["bob@b.example"]


# -- reports from elsewhere -----------------------------------------------------------

EXCHANGE_NDR = (
    b"From: postmaster@contoso.example\r\n"
    b"To: alice@a.example\r\n"
    b"Subject: Undeliverable: relay me\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/report; report-type=delivery-status; boundary="NDR_b"\r\n'
    b"\r\n"
    b"--NDR_b\r\n"
    b"Content-Type: text/plain; charset=us-ascii\r\n"
    b"\r\n"
    b"Your message to bob@contoso.example couldn't be delivered.\r\n"
    b"--NDR_b\r\n"
    b"Content-Type: message/delivery-status\r\n"
    b"\r\n"
    b"Reporting-MTA: dns;EX01.contoso.example\r\n"
    b"Received-From-MTA: dns;mail.a.example\r\n"
    b"Arrival-Date: Tue, 1 Dec 2026 08:00:00 +0000\r\n"
    b"\r\n"
    b"Original-Recipient: rfc822;bob@contoso.example\r\n"
    b"Final-Recipient: rfc822;bob@contoso.example\r\n"
    b"Action: failed\r\n"
    b"Status: 5.1.10\r\n"
    b"Diagnostic-Code: smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not\r\n"
    b" found by SMTP address lookup\r\n"
    b"Remote-MTA: dns;EX02.contoso.example\r\n"
    b"X-Display-Name: Bob\r\n"
    b"\r\n"
    b"--NDR_b\r\n"
    b"Content-Type: message/rfc822\r\n"
    b"\r\n"
    b"From: alice@a.example\r\nSubject: relay me\r\n\r\nHello Bob.\r\n"
    b"--NDR_b--\r\n"
)


def test_delivery_report_reads_an_exchange_shape() -> None:
    report = DeliveryReport.parse(EXCHANGE_NDR)
    assert report.reporting_mta == "EX01.contoso.example"
    assert report.arrival_date is not None and report.arrival_date.hour == 8
    [r] = report.recipients
    assert (r.final_recipient, r.action, r.status) == ("bob@contoso.example", "failed", "5.1.10")
    assert r.diagnostic_type == "smtp"
    assert r.diagnostic is not None and r.diagnostic.endswith("not found by SMTP address lookup")
    assert r.remote_mta == "EX02.contoso.example"
    assert r.fields["x-display-name"] == "Bob"
    assert report.original is not None and report.original["Subject"] == "relay me"
    with pytest.raises(ValueError, match="not a delivery report"):
        DeliveryReport.parse(MSG)


# -- Postfix, both ways ------------------------------------------------------------


def test_postfix_relays_into_mailroom_with_notify_success() -> None:
    # smtplib -> Postfix (NOTIFY=SUCCESS, ENVID) -> mailroom, which delivers
    # and sends its "delivered" report to the sender's mailbox.
    from tests.peers import Postfix

    with mailroom.Server(hostname="mx.b.example") as sink, Postfix(sink.smtp_port) as pf:
        with smtplib.SMTP("127.0.0.1", pf.port) as s:
            s.ehlo()
            assert s.has_extn("dsn")
            s.sendmail(
                "alice@a.example",
                ["bob@b.example"],
                MSG,
                mail_options=["RET=HDRS", "ENVID=pf-in-1"],
                rcpt_options=["NOTIFY=SUCCESS"],
            )
        got = sink.wait_for(to="bob@b.example", timeout=30)
        # Postfix passes the parameters on (and adds ORCPT, RFC 3461 §5.2.1).
        assert got.envelope.notify == {"bob@b.example": ("SUCCESS",)}
        assert got.envelope.envid == "pf-in-1" and got.envelope.ret == "HDRS"
        assert got.envelope.orcpt["bob@b.example"].lower() == "rfc822;bob@b.example"
        report_msg = sink.wait_for(to="alice@a.example", timeout=30)
        report = DeliveryReport.parse(report_msg)
        assert report.reporting_mta == "mx.b.example"
        assert report.envelope_id == "pf-in-1"
        assert report["bob@b.example"].action == "delivered"
        assert "Received:" in bytes(report_msg).decode()


def test_mailroom_relays_to_postfix_with_dsn_parameters() -> None:
    # smtplib -> mailroom -> Postfix -> a sink without DSN: Postfix honours
    # NOTIFY=SUCCESS with its own "relayed" report, ENVID and ORCPT quoted, and
    # NOTIFY=NEVER for a recipient it refuses; mailroom reports the failure
    # that asked for one.
    from tests.peers import Postfix

    with (
        mailroom.Server(dsn=False) as sink,
        Postfix(sink.smtp_port, refuse=("ghost@example.org", "never@example.org")) as pf,
    ):
        a = mailroom.Server(
            domains=["a.test"], routes={"*": f"127.0.0.1:{pf.port}"}, clock="manual"
        ).start()
        with a:
            with SMTPClient(*a.smtp_address) as c:
                c.send(
                    MSG,
                    "alice@a.test",
                    ["bob@example.org", "ghost@example.org", "never@example.org"],
                    notify={
                        "bob@example.org": "SUCCESS",
                        "ghost@example.org": "FAILURE",
                        "never@example.org": "NEVER",
                    },
                    orcpt={"bob@example.org": "rfc822;Bob@Example.ORG"},
                    envid="to-postfix-1",
                    ret="HDRS",
                )
            a.queue.wait_idle(timeout=30)
            assert len(a.queue) == 0, list(a.queue)
            [failed] = reports_in(a, "alice@a.test")
            assert [r.final_recipient for r in failed.recipients] == ["ghost@example.org"]
            assert failed.recipients[0].status == "5.1.1"
            got = sink.wait_for(to="bob@example.org", timeout=30)
            assert got["Subject"] == "relay me"
            # Postfix's own report for bob (it relayed to a host without DSN)
            # comes to alice@a.test through its relay host: the sink.
            postfix_report = sink.wait_for(to="alice@a.test", timeout=30)
            report = DeliveryReport.parse(postfix_report)
            assert report.envelope_id == "to-postfix-1"
            [r] = report.recipients
            assert r.action == "relayed" and r.status is not None and r.status.startswith("2.")
            assert r.final_recipient == "bob@example.org"
            assert r.original_recipient == "Bob@Example.ORG"
            assert postfix_report.envelope.mail_from == ""


# -- the command line ---------------------------------------------------------------


def test_mailroom_send_notify_and_ret() -> None:
    from tests.test_cli import run

    with mailroom.Server() as s:
        args = ["send", "--server", f"127.0.0.1:{s.smtp_port}", "--from", "alice@example.org"]
        args += ["--to", "bob@example.net", "--text", "x", "--notify", "success,delay"]
        out = run(*args, "--ret", "hdrs", "--envid", "cli-1")
        assert out.returncode == 0, out.stderr
        msg = s.wait_for(to="bob@example.net")
        assert msg.envelope.notify == {"bob@example.net": ("SUCCESS", "DELAY")}
        assert (msg.envelope.ret, msg.envelope.envid) == ("HDRS", "cli-1")
        assert reports_in(s, "alice@example.org")[0]["bob@example.net"].action == "delivered"
        out = run(*args[:-2], "--notify", "never,success")
        assert out.returncode == 1
        assert b"NOTIFY" in out.stderr
