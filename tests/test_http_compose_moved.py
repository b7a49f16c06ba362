"""Drafts of replies and forwards whose original has moved or gone since they
were saved, over the compose route with a real HTTP client (urllib): moved
by IMAP (imaplib's UID MOVE) or by the web client's move route, the original
is found by its Message-ID and the reply is still threaded and marks it;
deleted, the draft's own In-Reply-To and References still thread it, and a
forward says which of the original's parts it could not carry."""

from __future__ import annotations

import imaplib
import smtplib
from typing import Any

import pytest

import mailroom

from .test_http_api import call, get
from .test_http_compose import compose, folder

ALICE = "alice@example.test"
ORIGINAL = (
    b"From: Bob <bob@example.test>\r\nTo: alice@example.test\r\nSubject: plan\r\n"
    b"Message-ID: <plan.2@example.test>\r\nReferences: <plan.1@example.test>\r\n"
    b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
    b"--b\r\nContent-Type: text/plain\r\n\r\nthe plan\r\n"
    b'--b\r\nContent-Type: application/pdf; name="plan.pdf"\r\n'
    b"Content-Disposition: attachment\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    b"JVBERi0xLjQgcGxhbg==\r\n--b--\r\n"
)


@pytest.fixture
def server() -> Any:
    with mailroom.Server(http_port=0, imap_port=0) as s:
        with smtplib.SMTP(*s.smtp_address) as c:
            c.sendmail("bob@example.test", [ALICE], ORIGINAL)
        s.wait_for(to=ALICE)
        yield s


def imap_move(s: mailroom.Server, to: str) -> None:
    """C: a UID MOVE 1 <to> (RFC 6851), as another mail client would."""
    c = imaplib.IMAP4(s.host, s.imap_port, timeout=10)
    try:
        c.login(ALICE, "any")
        c.select("INBOX")
        typ, _ = c.uid("MOVE", "1", to)
        assert typ == "OK"
    finally:
        c.logout()


def save_draft(s: mailroom.Server, mode: str, original: str, **more: Any) -> str:
    status, saved = compose(s, From=ALICE, To=["bob@example.test"], Subject="Re: plan",
                            Text="my answer", Draft=True, Mode=mode, ReplyTo=original,
                            **more)  # fmt: skip
    assert status == 200, saved
    return str(saved["ID"])


def test_a_reply_draft_whose_original_moved_by_imap_saves_and_sends(
    server: mailroom.Server,
) -> None:
    [original] = folder(server, ALICE, "INBOX")
    draft = save_draft(server, "reply", original["ID"])
    imap_move(server, "Archive")
    [moved] = folder(server, ALICE, "Archive")
    assert moved["ID"] != original["ID"]
    # The form still holds the old ID: saved again, then sent (this was a 400).
    status, again = compose(server, From=ALICE, To=["bob@example.test"], Subject="Re: plan",
                            Text="my answer, longer", Draft=True, Mode="reply",
                            ReplyTo=original["ID"], DraftID=draft)  # fmt: skip
    assert status == 200, again
    assert "Warnings" not in again
    # Reopened, the draft names the original where it is now.
    reopened = get(server, f"/api/mailroom/message/{again['ID']}")
    assert reopened["Answers"] == {"Mode": "reply", "ID": moved["ID"]}
    status, sent = compose(server, From=ALICE, To=["bob@example.test"], Subject="Re: plan",
                           Text="my answer, longer", Mode="reply", ReplyTo=original["ID"],
                           DraftID=again["ID"])  # fmt: skip
    assert status == 200, sent
    assert "Warnings" not in sent
    reply = server.wait_for(to="bob@example.test")
    assert reply["In-Reply-To"] == "<plan.2@example.test>"
    assert reply["References"] == "<plan.1@example.test> <plan.2@example.test>"
    assert reply.get("X-Mailroom-Reply-To-Message-ID") is None
    assert folder(server, ALICE, "Drafts") == []
    assert "\\Answered" in folder(server, ALICE, "Archive")[0]["Flags"]


def test_a_forward_draft_whose_original_moved_in_the_web_client_keeps_its_parts(
    server: mailroom.Server,
) -> None:
    [original] = folder(server, ALICE, "INBOX")
    draft = save_draft(server, "forward", original["ID"], ForwardParts=["2"])
    status, body, _ = call(server, "POST", "/api/mailroom/move",
                           {"IDs": [original["ID"]], "To": "Archive"})  # fmt: skip
    assert status == 200, body
    status, sent = compose(server, From=ALICE, To=["carol@example.test"], Subject="Fwd: plan",
                           Text="see below", Mode="forward", ReplyTo=original["ID"],
                           DraftID=draft, ForwardParts=["2"])  # fmt: skip
    assert status == 200, sent
    assert "Warnings" not in sent
    forwarded = server.wait_for(to="carol@example.test")
    assert [(a.filename, a.data) for a in forwarded.attachments] == [("plan.pdf", b"%PDF-1.4 plan")]
    assert forwarded.get("In-Reply-To") is None  # RFC 5322 §3.6.4: a forward answers nothing
    assert "$Forwarded" in folder(server, ALICE, "Archive")[0]["Flags"]


def test_a_reply_draft_whose_original_was_deleted_is_still_the_reply(
    server: mailroom.Server,
) -> None:
    [original] = folder(server, ALICE, "INBOX")
    draft = save_draft(server, "reply_all", original["ID"])
    status, body, _ = call(server, "DELETE", "/api/mailroom/messages", {"IDs": [original["ID"]]})
    assert status == 200, body
    assert get(server, f"/api/mailroom/message/{draft}")["Answers"]["ID"] == original["ID"]
    status, again = compose(server, From=ALICE, To=["bob@example.test"], Subject="Re: plan",
                            Text="still", Draft=True, Mode="reply_all",
                            ReplyTo=original["ID"], DraftID=draft)  # fmt: skip
    assert status == 200, again
    status, sent = compose(server, From=ALICE, To=["bob@example.test"], Subject="Re: plan",
                           Text="still", Mode="reply_all", ReplyTo=original["ID"],
                           DraftID=again["ID"])  # fmt: skip
    assert status == 200, sent
    assert "Warnings" not in sent  # nothing the reply holds is missing
    reply = server.wait_for(to="bob@example.test")
    assert reply["In-Reply-To"] == "<plan.2@example.test>"
    assert reply["References"] == "<plan.1@example.test> <plan.2@example.test>"
    assert [m["Subject"] for m in folder(server, ALICE, "Sent")] == ["Re: plan"]


def test_a_forward_whose_original_was_deleted_says_what_it_left_out(
    server: mailroom.Server,
) -> None:
    [original] = folder(server, ALICE, "INBOX")
    draft = save_draft(server, "forward", original["ID"])
    imap_move(server, "Trash")
    [trashed] = folder(server, ALICE, "Trash")
    call(server, "DELETE", "/api/mailroom/messages", {"IDs": [trashed["ID"]]})
    status, sent = compose(server, From=ALICE, To=["carol@example.test"], Subject="Fwd: plan",
                           Text="see below", Mode="forward", ReplyTo=original["ID"],
                           DraftID=draft, ForwardParts=["2"])  # fmt: skip
    assert status == 200, sent
    assert sent["Warnings"] == [
        "ForwardParts: the forwarded message is no longer in the account, so part 2 is not attached"
    ]
    forwarded = server.wait_for(to="carol@example.test")
    assert forwarded.attachments == []
    assert forwarded["References"] == "<plan.1@example.test> <plan.2@example.test>"


def test_a_reply_started_before_its_original_moved_is_sent_by_its_message_id(
    server: mailroom.Server,
) -> None:
    [original] = folder(server, ALICE, "INBOX")
    start = get(server, f"/api/mailroom/message/{original['ID']}/reply?mode=reply")
    assert start["MessageID"] == "<plan.2@example.test>"
    imap_move(server, "Archive")
    status, sent = compose(server, From=ALICE, To=start["To"], Subject=start["Subject"],
                           Text="yes" + start["Text"], Mode="reply", ReplyTo=original["ID"],
                           ReplyToMessageID=start["MessageID"])  # fmt: skip
    assert status == 200, sent
    reply = server.wait_for(to="bob@example.test")
    assert reply["In-Reply-To"] == "<plan.2@example.test>"
    assert "\\Answered" in folder(server, ALICE, "Archive")[0]["Flags"]


def test_without_a_draft_a_reply_to_a_message_gone_is_refused(server: mailroom.Server) -> None:
    [original] = folder(server, ALICE, "INBOX")
    imap_move(server, "Archive")
    # a Message-ID that no message of the account has does not help
    status, out = compose(server, From=ALICE, To=["bob@example.test"], Subject="Re: plan",
                          Mode="reply", ReplyTo=original["ID"],
                          ReplyToMessageID="<nowhere@example.test>")  # fmt: skip
    assert status == 400, out
    status, out = compose(server, From=ALICE, To=["bob@example.test"], Subject="Re: plan",
                          Mode="reply", ReplyTo=original["ID"])  # fmt: skip
    assert status == 400 and out["Error"] == f"ReplyTo: no message with the ID '{original['ID']}'"
